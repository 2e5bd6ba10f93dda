"""With Redis gone, the rate limits count per process: sign-up, sign-in and `/v1` go on
answering (never a 500), the limits still hold, and the outage is logged once.

The Redis is the test's own, on a port of its own, so stopping it touches nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from py_app.ratelimit import REDIS_RETRY_SECONDS
from py_core_testing.databases import Backend
from py_core_testing.redis_server import RedisServer

from .harness import PASSWORD, LiveApp, sign_up

pytestmark = pytest.mark.skipif(
    shutil.which("redis-server") is None, reason="redis-server is not installed"
)


@pytest.fixture
def backend() -> Backend:
    """The scaled-out stack: PostgreSQL with Redis."""
    return "postgresql"


@pytest.fixture
async def own_redis() -> AsyncIterator[RedisServer]:
    async with RedisServer.running() as redis:
        yield redis


@pytest.fixture
async def redis_url(own_redis: RedisServer) -> str:
    return own_redis.url


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"login_limit_per_account": 2, "api_requests_per_minute": 1_000}


def unreachable_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "py_app.ratelimit" and "unreachable" in r.message
    ]


async def test_rate_limits_count_per_process_while_redis_is_away(
    live_app: LiveApp,
    client: httpx.AsyncClient,
    own_redis: RedisServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await sign_up(client, "ada@example.com")
    created = await client.post("/api/v1/tokens", json={"name": "cli"})
    bearer = {"Authorization": f"Bearer {created.json()['token']}"}
    call = {"model": "echo", "messages": [{"role": "user", "content": "hi"}]}

    await own_redis.stop()
    caplog.clear()
    caplog.set_level(logging.INFO, logger="py_app.ratelimit")
    async with live_app.client() as other:
        await sign_up(other, "grace@example.com")
    for _ in range(3):
        response = await client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
    client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
    assert (await client.get("/v1/models", headers=bearer)).status_code == 200
    response = await client.post("/v1/chat/completions", json=call, headers=bearer)
    assert response.status_code == 200, response.text
    # The limits still hold, in this process's memory.
    wrong = {"email": "grace@example.com", "password": "wrong guess!"}
    statuses = [(await client.post("/api/v1/auth/login", json=wrong)).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
    # Said once for the outage, not once per request.
    assert len(unreachable_warnings(caplog)) == 1
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]

    # Back: within a retry interval or two the counts are shared through Redis again.
    await own_redis.start()
    right = {"email": "ada@example.com", "password": PASSWORD}
    redis = Redis.from_url(own_redis.url)
    try:
        async with asyncio.timeout(3 * REDIS_RETRY_SECONDS):
            while not await redis.keys("*ratelimit:login:failed:*ada@example.com*"):
                assert (await client.post("/api/v1/auth/login", json=right)).status_code == 200
                await asyncio.sleep(0.2)
    finally:
        await redis.aclose()
    assert [r for r in caplog.records if "reachable again" in r.message]
