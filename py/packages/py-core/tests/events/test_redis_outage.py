"""What only Redis can show: connections lost and regained, entries from elsewhere."""

from __future__ import annotations

import contextlib
import json
import logging

import pytest
from redis.asyncio import Redis

from py_core.database.utils import uuid7_str
from py_core.events import (
    BusUnavailable,
    MessageCompleted,
    MessageDelta,
    RedisEventBus,
)
from py_core_testing.events import MakeBus, TcpProxy, take


def delta(thread_id: str, seq: int) -> MessageDelta:
    return MessageDelta(owner_id="u1", thread_id=thread_id, message_id="m", seq=seq, text="x")


async def test_a_subscriber_survives_a_lost_connection_and_misses_nothing(
    make_redis_bus: MakeBus, redis_proxy: TcpProxy, caplog: pytest.LogCaptureFixture
) -> None:
    direct, through_proxy = make_redis_bus(), make_redis_bus(redis_proxy.url)
    thread = uuid7_str()
    caplog.set_level(logging.INFO, logger="test.events")
    async with contextlib.aclosing(through_proxy.subscribe(thread, after="0")) as subscription:
        before = [delta(thread, i) for i in range(2)]
        await direct.publish_many(before)
        assert [e.event for e in await take(subscription, 2)] == before
        await redis_proxy.cut()
        during = [delta(thread, i) for i in range(2, 5)]
        await direct.publish_many(during)
        await redis_proxy.restore()
        after = [delta(thread, 5)]
        await direct.publish_many(after)
        assert [e.event for e in await take(subscription, 4)] == during + after
    messages = [r.getMessage() for r in caplog.records]
    assert any("unreachable" in m for m in messages)
    assert any("reachable again" in m for m in messages)


async def test_publishing_during_an_outage_fails_cleanly_and_recovers(
    make_redis_bus: MakeBus, redis_proxy: TcpProxy
) -> None:
    bus = make_redis_bus(redis_proxy.url)
    thread = uuid7_str()
    await bus.publish(delta(thread, 0))
    await redis_proxy.cut()
    with pytest.raises(BusUnavailable):
        await bus.publish(delta(thread, 1))
    await redis_proxy.restore()
    await bus.publish(delta(thread, 2))
    assert [e.event.seq for e in await bus.read(thread, after="0")] == [0, 2]  # type: ignore[union-attr]


async def test_a_dead_port_is_an_outage_not_a_crash(make_redis_bus: MakeBus) -> None:
    bus = make_redis_bus("redis://127.0.0.1:1/0")
    with pytest.raises(BusUnavailable):
        await bus.publish(delta(uuid7_str(), 0))
    with pytest.raises(BusUnavailable):
        await bus.read(uuid7_str(), after="0")


async def test_an_entry_this_release_cannot_read(make_redis_bus: MakeBus) -> None:
    bus = make_redis_bus()
    assert isinstance(bus, RedisEventBus)
    client: Redis = bus.client
    thread = uuid7_str()
    future = json.dumps({"type": "thread.teleported", "owner_id": "u1", "thread_id": thread})
    await client.xadd(bus.keys.thread(thread), {"event": future})
    known = MessageCompleted(owner_id="u1", thread_id=thread, message_id="m", text="ok")
    await bus.publish(known)
    # A subscriber skips it (a newer release wrote it) rather than stop the stream.
    assert [e.event for e in await bus.read(thread, after="0")] == [known]
