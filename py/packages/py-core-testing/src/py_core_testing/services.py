"""Which optional services (PostgreSQL, Redis) a test run may use.

Under `CI=true` they are required: a missing service fails the run instead of
skipping, so CI can never pass by testing less.
"""

from __future__ import annotations

import asyncio
import os

import pytest

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
"""A server-level URL; tests create (and drop) their own databases on it."""
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(service: str, error: str | None) -> None:
    """Skip (locally) or fail (in CI) when `service` is unreachable."""
    if error is None:
        return
    message = f"{service} is not reachable ({error})"
    if in_ci():
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(f"{message}; set CI=true to make this a failure")


async def postgres_error(url: str = POSTGRES_URL) -> str | None:
    import asyncpg

    try:
        conn = await asyncio.wait_for(asyncpg.connect(_asyncpg_dsn(url)), timeout=3)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return f"{type(exc).__name__}: {exc}"
    await conn.close()
    return None


async def redis_error(url: str = REDIS_URL) -> str | None:
    from redis.asyncio import Redis
    from redis.exceptions import RedisError

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except (OSError, RedisError) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        await client.aclose()
    return None


def _asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)
