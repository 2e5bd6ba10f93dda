"""The two stacks the chat benchmark runs the app on, each made fresh and removed after:
a SQLite file with in-process events, and PostgreSQL with Redis."""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from py_core_testing import services

StackName = Literal["sqlite", "postgresql", "postgresql-workers"]

WORKERS = 2
"""The processes of the `postgresql-workers` stack: one per core of this machine."""

POSTGRES_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
"""A server-level URL: the benchmark creates its own database there and drops it after."""
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
"""The Redis it uses, under a namespace of its own that it deletes after."""


class Unavailable(Exception):
    """The stack's services are not reachable; the benchmark skips it."""


@dataclass(frozen=True, kw_only=True)
class Stack:
    name: StackName
    """Which stack."""
    title: str
    """How the report names it."""
    env: dict[str, str]
    """The app's `DATABASE_URL`, `REDIS_URL` and namespaces."""


@asynccontextmanager
async def sqlite_stack(directory: Path) -> AsyncIterator[Stack]:
    """A SQLite file in `directory` (the app migrates it at start-up), events in-process."""
    yield Stack(
        name="sqlite",
        title="SQLite file + in-process events",
        env={"DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'bench.db'}"},
    )


@asynccontextmanager
async def postgres_stack(*, workers: int = 1) -> AsyncIterator[Stack]:
    """A new database, migrated with the CLI `make migrate` runs, and Redis under a
    unique namespace; both removed afterwards. `Unavailable` when either is not reachable.
    With `workers`, the app serves its port from that many processes (`WORKERS`)."""
    for service, error in (
        ("PostgreSQL", await services.postgres_error(POSTGRES_URL)),
        ("Redis", await services.redis_error(REDIS_URL)),
    ):
        if error is not None:
            raise Unavailable(f"{service} is not reachable ({error})")
    unique = uuid.uuid4().hex[:12]
    name = f"bench_{unique}"
    server = POSTGRES_URL.rsplit("/", 1)[0]
    url = f"{server}/{name}"
    await _admin(f'CREATE DATABASE "{name}"')
    namespace, prefix = f"bench-events-{unique}", f"bench-app-{unique}:"
    try:
        await _migrate(url)
        yield Stack(
            name="postgresql-workers" if workers > 1 else "postgresql",
            title=f"PostgreSQL + Redis, WORKERS={workers}" if workers > 1 else "PostgreSQL + Redis",
            env={
                "DATABASE_URL": url,
                "REDIS_URL": REDIS_URL,
                "EVENTS_NAMESPACE": namespace,
                "REDIS_KEY_PREFIX": prefix,
                "WORKERS": str(workers),
            },
        )
    finally:
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await _forget_redis_keys(namespace, prefix)


async def _admin(statement: str) -> None:
    import asyncpg

    dsn = POSTGRES_URL.replace("postgresql+asyncpg://", "postgresql://", 1)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def _migrate(url: str) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "py_core.database.migrate",
        "upgrade",
        "head",
        env=os.environ | {"DATABASE_URL": url},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the migrations failed:\n{errors.decode(errors='replace')}")


async def _forget_redis_keys(*prefixes: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(REDIS_URL)
    try:
        for prefix in prefixes:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await client.delete(*keys)
    finally:
        await client.aclose()
