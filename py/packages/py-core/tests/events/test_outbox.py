"""The outbox on SQLite and PostgreSQL, relayed to both buses."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.context import Context
from py_core.database.models import OutboxEvent
from py_core.database.utils import uuid7_str
from py_core.events import (
    START,
    BusUnavailable,
    Event,
    EventBus,
    MessageCompleted,
    OutboxRelay,
    RelaySettings,
    ThreadUpdated,
)
from py_core.events.outbox import wake_on_commit
from py_core_testing.events import MakeBus, TcpProxy, take

Sessions = async_sessionmaker[AsyncSession]


def updates(thread_id: str, count: int) -> list[Event]:
    return [ThreadUpdated(owner_id="u1", thread_id=thread_id, title=f"v{i}") for i in range(count)]


async def commit(sessions: Sessions, events: list[Event]) -> None:
    async with sessions() as session, session.begin():
        ctx = Context(db=session)
        for event in events:
            ctx.events.add(event)


async def stream(bus: EventBus, thread_id: str) -> list[Event]:
    return [entry.event for entry in await bus.read(thread_id, after=START, count=1000)]


async def unpublished(sessions: Sessions) -> int:
    async with sessions() as session:
        query = select(func.count()).where(OutboxEvent.published_at.is_(None))
        return int(await session.scalar(query) or 0)


async def test_committed_events_are_published_in_order_once(
    sessions: Sessions, bus: EventBus
) -> None:
    one, two = uuid7_str(), uuid7_str()
    first, second = updates(one, 3), updates(two, 3)
    await commit(sessions, [first[0], second[0], first[1]])
    await commit(sessions, [second[1], first[2], second[2]])
    relay = OutboxRelay(sessions, bus, settings=RelaySettings(batch_size=4))
    assert await relay.relay_pending() == 6
    assert await relay.relay_pending() == 0
    assert await stream(bus, one) == first
    assert await stream(bus, two) == second
    async with sessions() as session:
        rows = list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))
    assert all(row.published_at is not None for row in rows)
    on_stream = {e.event.id: e.stream_id for e in await bus.read(one, after=START)}
    assert {row.id: row.stream_id for row in rows if row.thread_id == one} == on_stream


async def test_a_rolled_back_transaction_publishes_nothing(
    sessions: Sessions, bus: EventBus
) -> None:
    thread = uuid7_str()

    async def failing_change() -> None:
        async with sessions() as session, session.begin():
            Context(db=session).events.add_all(updates(thread, 2))
            await session.flush()
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError):
        await failing_change()
    assert await OutboxRelay(sessions, bus).relay_pending() == 0
    assert await stream(bus, thread) == []


async def test_the_relay_is_woken_by_the_commit(sessions: Sessions, bus: EventBus) -> None:
    relay = OutboxRelay(sessions, bus, settings=RelaySettings(poll_interval=3600))
    waking = async_sessionmaker(**sessions.kw)
    wake_on_commit(waking, relay.wake)
    thread = uuid7_str()
    async with contextlib.aclosing(bus.subscribe(thread, after=START)) as subscription:
        relay.start()
        try:
            events = updates(thread, 2)
            await commit(waking, events)
            assert [e.event for e in await take(subscription, 2)] == events
        finally:
            await relay.stop()


async def test_without_a_wake_the_relay_polls(sessions: Sessions, bus: EventBus) -> None:
    relay = OutboxRelay(sessions, bus, settings=RelaySettings(poll_interval=0.02))
    thread = uuid7_str()
    async with contextlib.aclosing(bus.subscribe(thread, after=START)) as subscription:
        relay.start()
        try:
            events = updates(thread, 1)
            await commit(sessions, events)  # another process's commit: nobody wakes us
            assert [e.event for e in await take(subscription, 1)] == events
        finally:
            await relay.stop()


async def test_a_redis_outage_delays_events_and_loses_none(
    sessions: Sessions, make_redis_bus: MakeBus, redis_proxy: TcpProxy
) -> None:
    relayed_bus = make_redis_bus(redis_proxy.url, publish_attempts=1)
    watcher = make_redis_bus()
    relay = OutboxRelay(sessions, relayed_bus, settings=RelaySettings(poll_interval=0.02))
    thread = uuid7_str()
    events = updates(thread, 5)
    await commit(sessions, events[:1])
    assert await relay.relay_pending() == 1
    await redis_proxy.cut()
    await commit(sessions, events[1:3])
    await commit(sessions, events[3:])
    with pytest.raises(BusUnavailable):
        await relay.relay_once()
    assert await unpublished(sessions) == 4
    async with contextlib.aclosing(watcher.subscribe(thread, after=START)) as subscription:
        relay.start()  # retries with back-off while Redis is away
        try:
            await asyncio.sleep(0.05)
            await redis_proxy.restore()
            assert [e.event for e in await take(subscription, 5)] == events
            async with asyncio.timeout(10):  # the rows are marked just after the publish
                while await unpublished(sessions):
                    await asyncio.sleep(0.01)
        finally:
            await relay.stop()
    assert await stream(watcher, thread) == events  # each exactly once


async def test_a_republished_row_keeps_its_id_and_is_dropped(
    sessions: Sessions, bus: EventBus
) -> None:
    thread = uuid7_str()
    events: list[Event] = [
        MessageCompleted(owner_id="u1", thread_id=thread, message_id=uuid7_str(), text=str(i))
        for i in range(3)
    ]
    await commit(sessions, events)
    relay = OutboxRelay(sessions, bus)
    assert await relay.relay_pending() == 3
    first_ids = [entry.stream_id for entry in await bus.read(thread, after=START)]
    # A relay that published and died before marking the rows: they go out again.
    async with sessions() as session, session.begin():
        await session.execute(update(OutboxEvent).values(published_at=None, stream_id=None))
    assert await relay.relay_pending() == 3
    assert await stream(bus, thread) == events
    async with sessions() as session:
        again = list(await session.scalars(select(OutboxEvent.stream_id).order_by(OutboxEvent.id)))
    assert again == first_ids


async def test_pruning_removes_only_old_published_rows(sessions: Sessions, bus: EventBus) -> None:
    thread = uuid7_str()
    relay = OutboxRelay(sessions, bus)
    await commit(sessions, updates(thread, 2))
    await relay.relay_pending()
    await commit(sessions, updates(thread, 1))
    assert await relay.prune(older_than=3600) == 0
    assert await relay.prune(older_than=0) == 2
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(OutboxEvent)) == 1
    assert await unpublished(sessions) == 1


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_concurrent_relays_publish_each_row_once_in_thread_order(
    sessions: Sessions, bus: EventBus
) -> None:
    threads = [uuid7_str() for _ in range(4)]
    expected = {thread: updates(thread, 30) for thread in threads}
    for i in range(0, 30, 5):  # interleaved across threads, several transactions
        await commit(sessions, [e for thread in threads for e in expected[thread][i : i + 5]])
    relays = [OutboxRelay(sessions, bus, settings=RelaySettings(batch_size=7)) for _ in range(3)]
    # A relay that finds only rows held by another stops early; go on until all are out.
    published = 0
    while published < 120:
        counts = await asyncio.gather(*(relay.relay_pending() for relay in relays))
        published += sum(counts)
        assert sum(counts) or await unpublished(sessions) == 0
    assert published == 120
    for thread in threads:
        assert await stream(bus, thread) == expected[thread]


async def test_the_wake_comes_after_a_commit_with_events_only(sessions: Sessions) -> None:
    wakes: list[None] = []
    thread = uuid7_str()
    wake_on_commit(sessions, lambda: wakes.append(None))
    async with sessions() as session:
        ctx = Context(db=session)
        ctx.events.add(updates(thread, 1)[0])
        await session.rollback()
        assert wakes == []
        ctx.events.add_all(updates(thread, 2))
        await session.commit()
        assert len(wakes) == 1
        await session.commit()  # nothing written: no wake
        assert len(wakes) == 1
    assert await unpublished(sessions) == 2
