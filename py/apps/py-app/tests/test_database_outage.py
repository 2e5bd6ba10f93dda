"""PostgreSQL out of reach: every route answers 503 with `Retry-After` in its own shape
(not a 500), the keep-alive connection stays usable, and the app recovers when the
database is back. The database is reached through a TCP proxy the test cuts."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy.engine import make_url

from py_core_testing.databases import Backend, TestDatabases
from py_core_testing.events import TcpProxy

from .harness import LiveApp, assert_error, new_thread, sign_up


@pytest.fixture
def backend() -> Backend:
    return "postgresql"


@pytest.fixture
async def postgres_url(test_databases: TestDatabases) -> str:
    return await test_databases.fresh("postgresql")


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(postgres_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.restore()
    try:
        yield proxy
    finally:
        await proxy.cut()


@pytest.fixture
def db_url(postgres_url: str, proxy: TcpProxy) -> str:
    """The app's database, through the proxy."""
    url = make_url(postgres_url).set(host="127.0.0.1", port=proxy.port)
    return url.render_as_string(hide_password=False)


def connection_of(response: httpx.Response) -> object:
    """The TCP connection the response came on (httpcore's network stream)."""
    return response.extensions["network_stream"]


async def test_an_unreachable_database_is_503_and_the_connection_stays(
    live_app: LiveApp, proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    async with live_app.client(limits=httpx.Limits(max_connections=1)) as client:
        await sign_up(client, "ada@example.com")
        thread = await new_thread(client)
        created = await client.post("/api/v1/tokens", json={"name": "cli"})
        bearer = {"Authorization": f"Bearer {created.json()['token']}"}
        first = await client.get("/api/v1/me")
        assert first.status_code == 200

        await proxy.cut()
        caplog.clear()
        for method, url in [
            ("GET", "/api/v1/me"),
            ("GET", f"/api/v1/threads/{thread['id']}"),
            ("POST", "/api/v1/threads"),
            ("POST", "/api/v1/auth/login"),
        ]:
            body = {"email": "ada@example.com", "password": "x" * 12} if "login" in url else {}
            response = await client.request(method, url, json=body)
            assert_error(response, 503, "unavailable")
            assert int(response.headers["Retry-After"]) >= 1
            assert connection_of(response) is connection_of(first), (method, url)
        page = await client.get(f"/threads/{thread['id']}", headers={"Accept": "text/html"})
        assert page.status_code == 503
        assert "Retry-After" in page.headers
        assert page.headers["content-type"].startswith("text/html")
        models = await client.get("/v1/models", headers=bearer)
        assert models.status_code == 503
        assert models.json()["error"]["type"] == "server_error"
        assert "Retry-After" in models.headers
        assert (await client.get("/readyz")).status_code == 503
        assert connection_of(models) is connection_of(first)
        # The app's answers log warnings, not tracebacks: an outage is not a bug.
        assert [
            r
            for r in caplog.records
            if r.name.startswith(("py_app", "uvicorn"))
            and (r.exc_info or r.levelno >= logging.ERROR)
        ] == []

        await proxy.restore()
        async with asyncio.timeout(15):
            while (await client.get("/api/v1/me")).status_code != 200:
                await asyncio.sleep(0.1)
        assert (await client.get("/v1/models", headers=bearer)).status_code == 200
