"""Buses for the contract suite: every test runs on the in-process bus and on Redis,
each in a namespace of its own that is deleted afterwards; sessions for the relay's
tests, on a fresh database of the test's backend."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any, Literal

import pytest
from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.database.base import create_engine, create_session_factory
from py_core.database.utils import uuid7
from py_core.events import (
    BusSettings,
    EventBus,
    InProcessEventBus,
    RedisEventBus,
)
from py_core_testing import services
from py_core_testing.events import MakeBus, TcpProxy, delete_namespace

BusKind = Literal["memory", "redis"]


@pytest.fixture(params=["memory", "redis"])
async def bus_kind(request: pytest.FixtureRequest) -> BusKind:
    kind: BusKind = request.param
    if kind == "redis":
        services.require("Redis", await services.redis_error())
    return kind


@pytest.fixture
def bus_settings() -> BusSettings:
    """Small and quick: short blocks and back-offs, so no test waits long."""
    return BusSettings(
        namespace=f"test:{uuid7().hex}",
        read_block=0.5,
        retry_initial=0.01,
        retry_max=0.05,
        publish_attempts=2,
    )


@pytest.fixture
async def make_bus(bus_kind: BusKind, bus_settings: BusSettings) -> AsyncIterator[MakeBus]:
    """Buses of the test's kind, all in the test's namespace."""
    async with _buses(bus_kind, bus_settings) as make:
        yield make


@pytest.fixture
async def make_redis_bus(bus_settings: BusSettings) -> AsyncIterator[MakeBus]:
    """Redis buses only, for what only Redis can do (connections to cut, raw entries)."""
    services.require("Redis", await services.redis_error())
    async with _buses("redis", bus_settings) as make:
        yield make


@contextlib.asynccontextmanager
async def _buses(kind: BusKind, bus_settings: BusSettings) -> AsyncIterator[MakeBus]:
    buses: list[EventBus] = []
    logger = logging.getLogger("test.events")

    def make(url: str | None = None, **overrides: Any) -> EventBus:
        settings = replace(bus_settings, **overrides)
        bus: EventBus
        if kind == "memory":
            bus = InProcessEventBus(settings=settings, logger=logger)
        else:
            bus = RedisEventBus(url or services.REDIS_URL, settings=settings, logger=logger)
        buses.append(bus)
        return bus

    try:
        yield make
    finally:
        for bus in buses:
            await bus.close()
        if kind == "redis":
            client = Redis.from_url(services.REDIS_URL)
            await delete_namespace(client, bus_settings.namespace)
            await client.aclose()


@pytest.fixture
async def bus(make_bus: MakeBus) -> EventBus:
    return make_bus()


@pytest.fixture
async def redis_proxy() -> AsyncIterator[TcpProxy]:
    """A cuttable way to the test Redis."""
    services.require("Redis", await services.redis_error())
    client = Redis.from_url(services.REDIS_URL)
    kwargs = client.connection_pool.connection_kwargs
    await client.aclose()
    proxy = TcpProxy(kwargs.get("host", "127.0.0.1"), int(kwargs.get("port", 6379)))
    await proxy.restore()
    yield proxy
    await proxy.cut()


@pytest.fixture
async def sessions(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on a fresh migrated database (SQLite file or PostgreSQL)."""
    engine = create_engine(db_url)
    yield create_session_factory(engine)
    await engine.dispose()
