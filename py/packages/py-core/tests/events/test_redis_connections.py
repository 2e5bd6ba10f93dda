"""Hundreds of subscribers on one process share Redis: its connections and its round
trips. On a Redis of the test's own, so its connection count and command statistics
are the test's alone."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from py_core.database.utils import uuid7_str
from py_core.events import (
    DEFAULT_MAX_CONNECTIONS,
    BusSettings,
    MessageDelta,
    RedisEventBus,
    StreamEntry,
)
from py_core_testing.events import take
from py_core_testing.redis_server import RedisServer

LOGGER = logging.getLogger("test.events")


@pytest.fixture
async def redis() -> AsyncIterator[RedisServer]:
    async with RedisServer.running() as server:
        yield server


def delta(thread_id: str, seq: int) -> MessageDelta:
    return MessageDelta(owner_id="u1", thread_id=thread_id, message_id="m", seq=seq, text="x")


async def connected_clients(client: Redis) -> int:
    info = await client.info("clients")
    return int(info["connected_clients"])


async def command_calls(client: Redis) -> dict[str, int]:
    stats = await client.info("commandstats")
    return {name.removeprefix("cmdstat_"): int(value["calls"]) for name, value in stats.items()}


async def test_500_subscribers_share_a_bounded_pool(
    redis: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger=LOGGER.name)
    bus = RedisEventBus(redis.url, settings=BusSettings(read_block=1.0), logger=LOGGER)
    admin = Redis.from_url(redis.url)
    threads = [uuid7_str() for _ in range(500)]
    peak = 0
    try:
        async with contextlib.AsyncExitStack() as stack:
            subscriptions = [
                await stack.enter_async_context(
                    contextlib.aclosing(bus.subscribe(thread, after="0"))
                )
                for thread in threads
            ]
            for seq in range(3):
                await bus.publish_many([delta(thread, seq) for thread in threads])
                got = await asyncio.gather(*(take(s, 1, guard=30) for s in subscriptions))
                assert [entries[0].event.thread_id for entries in got] == threads
                peak = max(peak, await connected_clients(admin) - 1)  # not `admin`'s own
    finally:
        await bus.close()
        await admin.aclose()
    assert peak <= DEFAULT_MAX_CONNECTIONS
    # Never refused a connection, never saw an outage.
    assert not [r for r in caplog.records if "unreachable" in r.getMessage()]


async def test_delivering_a_delta_costs_no_round_trip_per_subscriber(redis: RedisServer) -> None:
    bus = RedisEventBus(redis.url, settings=BusSettings(read_block=1.0), logger=LOGGER)
    admin = Redis.from_url(redis.url, decode_responses=True)
    threads = [uuid7_str() for _ in range(50)]
    rounds = 10
    try:
        async with contextlib.AsyncExitStack() as stack:
            subscriptions = [
                await stack.enter_async_context(
                    contextlib.aclosing(bus.subscribe(thread, after="0"))
                )
                for thread in threads
            ]
            await bus.publish_many([delta(thread, 0) for thread in threads])
            await asyncio.gather(*(take(s, 1) for s in subscriptions))  # all live now
            await admin.config_resetstat()
            for seq in range(1, rounds + 1):
                await bus.publish_many([delta(thread, seq) for thread in threads])
                got = await asyncio.gather(*(take(s, 1) for s in subscriptions))
                assert {entries[0].event.seq for entries in got} == {seq}  # type: ignore[union-attr]
            calls = await command_calls(admin)
    finally:
        await bus.close()
        await admin.aclose()
    delivered = len(threads) * rounds
    reads = sum(
        calls.get(name, 0) for name in ("xread", "xrange", "xrevrange", "xinfo|stream", "get")
    )
    # One shared read wakes every subscriber: far less than one read per delivered delta.
    assert reads / delivered <= 0.2, calls


async def test_a_follower_joining_while_the_shared_read_is_out_misses_nothing(
    redis: RedisServer,
) -> None:
    # A long tick, so the shared read is surely on its way when the second one joins.
    bus = RedisEventBus(redis.url, settings=BusSettings(wait_tick=1.0), logger=LOGGER)
    thread = uuid7_str()
    first, second = delta(thread, 0), delta(thread, 1)
    try:
        ahead = bus.follow(thread, after="0")
        await bus.publish(first)
        assert [e.event for e in await ahead.next(2.0)] == [first]
        await asyncio.sleep(0.1)  # the next shared read, from `first`, is out
        behind = bus.follow(thread, after="0")
        await bus.publish(second)  # ends that read: it holds `second` only
        got: list[StreamEntry] = []
        async with asyncio.timeout(5):
            while len(got) < 2:
                got += await behind.next(2.0)
        assert [e.event for e in got] == [first, second]
        ahead.close()
        behind.close()
    finally:
        await bus.close()
