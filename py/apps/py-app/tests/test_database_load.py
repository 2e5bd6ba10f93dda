"""The database under load: bursts get answers, a busy database a 503 (never a 500).

A second writer is played by a plain `sqlite3` connection holding `BEGIN IMMEDIATE`
on the app's file, as another process would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import make_url

from py_app.settings import Settings
from py_core.database import create_engine, create_session_factory
from py_core_testing.databases import Backend

from .harness import PASSWORD, LiveApp, new_thread, sign_up

BUSY_TIMEOUT = 0.2
"""Seconds the app's writer waits for the lock here (`?timeout=` in its URL)."""
NO_LIMITS = {
    "login_limit_per_account": 10_000,
    "login_limit_per_ip": 10_000,
    "register_limit_per_ip": 10_000,
}


@contextmanager
def write_lock_held(database_url: str) -> Iterator[sqlite3.Connection]:
    other = sqlite3.connect(str(make_url(database_url).database), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


def assert_busy(response: httpx.Response) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["Retry-After"] == "1"


def _patient_client(live_app: LiveApp) -> httpx.AsyncClient:
    # A hundred argon2 checks take a while on two cores; the point is the answers.
    return httpx.AsyncClient(base_url=live_app.base_url, timeout=120)


class TestABurst:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, Any]:
        return NO_LIMITS

    @pytest.mark.parametrize("backend", ["sqlite"])
    async def test_sign_ins_mixed_with_writes_get_no_5xx(
        self, live_app: LiveApp, backend: Backend
    ) -> None:
        emails = [f"user{i}@example.com" for i in range(10)]
        async with _patient_client(live_app) as writer:
            await sign_up(writer, "writer@example.com")
            for email in emails:
                response = await writer.post(
                    "/api/v1/auth/register",
                    json={"email": email, "password": PASSWORD, "display_name": "U"},
                )
                assert response.status_code == 201, response.text

            async def sign_in(email: str) -> int:
                async with _patient_client(live_app) as client:
                    response = await client.post(
                        "/api/v1/auth/login", json={"email": email, "password": PASSWORD}
                    )
                    return response.status_code

            async def create_thread(i: int) -> int:
                response = await writer.post("/api/v1/threads", json={"title": f"t{i}"})
                return response.status_code

            sign_ins = [sign_in(emails[i % len(emails)]) for i in range(100)]
            writes = [create_thread(i) for i in range(100)]
            mixed = [job for pair in zip(sign_ins, writes, strict=True) for job in pair]
            statuses = await asyncio.gather(*mixed)
            listed = await writer.get("/api/v1/threads", params={"limit": 100})
        assert [s for s in statuses if s >= 500] == []
        assert statuses[0::2] == [200] * 100
        assert statuses[1::2] == [201] * 100
        assert len(listed.json()["items"]) == 100


class TestALockedDatabase:
    @pytest.fixture
    def settings_overrides(self, db_url: str) -> dict[str, Any]:
        return {"database_url": f"{db_url}?timeout={BUSY_TIMEOUT}"}

    @pytest.mark.parametrize("backend", ["sqlite"])
    async def test_reads_answer_and_writes_get_503_with_retry_after(
        self, live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings, backend: Backend
    ) -> None:
        await sign_up(client, "ada@example.com")
        thread = await new_thread(client)
        token = (await client.post("/api/v1/tokens", json={"name": "script"})).json()["token"]
        with write_lock_held(app_settings.database_url):
            read = await client.get(f"/api/v1/threads/{thread['id']}")
            assert read.status_code == 200, read.text
            write = await client.post("/api/v1/threads", json={})
            assert_busy(write)
            assert write.json()["error"]["code"] == "unavailable"
            # The token's first use records it: a write, answered in OpenAI's shape.
            gateway = await client.get("/v1/models", headers={"Authorization": f"Bearer {token}"})
            assert_busy(gateway)
            assert gateway.json()["error"]["type"] == "server_error"
            assert gateway.json()["error"]["code"] == "unavailable"
            # Signing in hashes nothing under the lock and writes its session row last.
            async with live_app.client() as other:
                login = await other.post(
                    "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
                )
            assert_busy(login)
        assert (await client.post("/api/v1/threads", json={})).status_code == 201

    @pytest.mark.parametrize("backend", ["sqlite"])
    async def test_a_page_gets_an_html_503(
        self, live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings, backend: Backend
    ) -> None:
        await sign_up(client, "ada@example.com")
        database = str(make_url(app_settings.database_url).database)
        with sqlite3.connect(database) as setup:
            # A session last seen long ago: the page renews it, which is a write.
            setup.execute("UPDATE user_sessions SET last_seen_at = '2020-01-01 00:00:00.000000'")
        with write_lock_held(app_settings.database_url):
            page = await client.get("/threads", headers={"Accept": "text/html"})
        assert_busy(page)
        assert page.headers["content-type"].startswith("text/html")


async def test_an_exhausted_connection_pool_answers_503(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    await sign_up(client, "ada@example.com")
    runtime = live_app.app.state.runtime
    # The app's requests get a pool of one connection that gives up at once, and the
    # test holds that connection.
    tiny = create_engine(app_settings.database_url, pool_size=1, max_overflow=0, pool_timeout=0.1)
    runtime.sessions = create_session_factory(tiny)
    try:
        async with tiny.connect() as held:
            await held.exec_driver_sql("SELECT 1")
            response = await client.get("/api/v1/threads")
    finally:
        await tiny.dispose()
    assert_busy(response)
    assert response.json()["error"]["code"] == "unavailable"


class TestConcurrentPosts:
    @pytest.fixture
    def model_delay(self) -> float:
        return 0.2  # the first reply is still being written when the second post lands

    async def test_two_posts_to_one_thread_give_exactly_one_409(
        self, client: httpx.AsyncClient
    ) -> None:
        await sign_up(client, "ada@example.com")
        thread = await new_thread(client)
        url = f"/api/v1/threads/{thread['id']}/messages"
        first, second = await asyncio.gather(
            client.post(url, json={"content": "one"}), client.post(url, json={"content": "two"})
        )
        assert sorted([first.status_code, second.status_code]) == [202, 409]
