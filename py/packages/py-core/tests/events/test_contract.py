"""The contract of a bus's thread streams, on the in-process bus and on Redis alike."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

import pytest

from py_core.database.utils import uuid7_str
from py_core.events import (
    START,
    Event,
    EventBus,
    InProcessEventBus,
    MessageCompleted,
    MessageDelta,
    RedisEventBus,
    StreamEntry,
    StreamTrimmed,
    ThreadCreated,
)
from py_core.events._base import parse_stream_id
from py_core_testing.events import MakeBus, take


def deltas(thread_id: str, count: int, *, start: int = 0) -> list[Event]:
    message_id = uuid7_str()
    return [
        MessageDelta(owner_id="u1", thread_id=thread_id, message_id=message_id, seq=i, text=f"{i} ")
        for i in range(start, start + count)
    ]


def ids(entries: Sequence[StreamEntry]) -> list[str]:
    return [event.id for _, event in entries]


async def test_publish_keeps_order_and_returns_increasing_stream_ids(bus: EventBus) -> None:
    thread = uuid7_str()
    events = [ThreadCreated(owner_id="u1", thread_id=thread, title="Hi"), *deltas(thread, 30)]
    stream_ids = await bus.publish_many(events[:10]) + [await bus.publish(e) for e in events[10:]]
    assert [parse_stream_id(s) for s in stream_ids] == sorted(
        parse_stream_id(s) for s in stream_ids
    )
    assert len(set(stream_ids)) == len(stream_ids)
    entries = await bus.read(thread, after="0")
    assert [entry.stream_id for entry in entries] == stream_ids
    assert [entry.event for entry in entries] == events
    assert await bus.last_id(thread) == stream_ids[-1]
    assert await bus.publish_many([]) == []


async def test_threads_have_separate_streams(bus: EventBus) -> None:
    first, second = uuid7_str(), uuid7_str()
    await bus.publish_many([*deltas(first, 3), *deltas(second, 2)])
    assert len(await bus.read(first, after=START)) == 3
    assert len(await bus.read(second, after=START)) == 2
    assert await bus.read(uuid7_str(), after=START) == []
    assert await bus.last_id(uuid7_str()) == START


async def test_resume_from_an_id_misses_nothing_and_repeats_nothing(bus: EventBus) -> None:
    thread = uuid7_str()
    events = deltas(thread, 10)
    stream_ids = await bus.publish_many(events)
    async with contextlib.aclosing(bus.subscribe(thread, after=stream_ids[4])) as subscription:
        assert ids(await take(subscription, 5)) == [e.id for e in events[5:]]
        later = deltas(thread, 3, start=10)
        await bus.publish_many(later)
        assert ids(await take(subscription, 3)) == [e.id for e in later]


async def test_subscribe_from_zero_replays_all_that_is_retained(bus: EventBus) -> None:
    thread = uuid7_str()
    events = deltas(thread, 4)
    await bus.publish_many(events)
    async with contextlib.aclosing(bus.subscribe(thread, after="0")) as subscription:
        assert ids(await take(subscription, 4)) == [e.id for e in events]


async def test_subscribe_from_now_skips_the_past(bus: EventBus) -> None:
    thread = uuid7_str()
    past = deltas(thread, 3)
    await bus.publish_many(past)
    async with contextlib.aclosing(bus.subscribe(thread)) as subscription:
        first = asyncio.ensure_future(anext(subscription))
        # Publish until the subscriber, whenever it got going, sees something.
        published: list[str] = []
        async with asyncio.timeout(10):
            while not first.done():
                (event,) = deltas(thread, 1)
                await bus.publish(event)
                published.append(event.id)
                await asyncio.wait({first}, timeout=0.01)
        assert first.result().event.id in published


async def test_resume_from_a_trimmed_id_is_refused(make_bus: MakeBus) -> None:
    bus = make_bus(thread_maxlen=5)
    thread = uuid7_str()
    stream_ids = await bus.publish_many(deltas(thread, 10))
    retained = await bus.read(thread, after=START)
    assert [entry.stream_id for entry in retained] == stream_ids[5:]
    with pytest.raises(StreamTrimmed):
        await bus.read(thread, after=stream_ids[3])
    with pytest.raises(StreamTrimmed):
        await anext(bus.subscribe(thread, after=stream_ids[0]))
    # The newest trimmed entry is a fine place to resume from: nothing after it is gone.
    resumed = await bus.read(thread, after=stream_ids[4])
    assert [entry.stream_id for entry in resumed] == stream_ids[5:]


async def test_resume_on_a_stream_that_no_longer_exists_is_refused(bus: EventBus) -> None:
    thread = uuid7_str()
    with pytest.raises(StreamTrimmed):
        await bus.read(thread, after="1700000000000-0")
    assert await bus.read(thread, after="0") == []


async def test_ids_are_unsigned_64_bit_halves_on_both_buses(bus: EventBus) -> None:
    thread = uuid7_str()
    stream_ids = await bus.publish_many(deltas(thread, 2))
    for beyond in (f"{2**64}-0", f"0-{2**64}", "-1-0"):
        with pytest.raises(ValueError, match="not a stream id"):
            await bus.read(thread, after=beyond)
        with pytest.raises(ValueError, match="not a stream id"):
            await anext(bus.subscribe(thread, after=beyond))
    # The greatest id is a position like any other: nothing comes after it.
    greatest = f"{2**64 - 1}-{2**64 - 1}"
    assert await bus.read(thread, after=greatest) == []
    assert [e.stream_id for e in await bus.read(thread, after=f"{2**64 - 1}")] == []
    assert [e.stream_id for e in await bus.read(thread, after=START)] == stream_ids


async def test_two_subscribers_see_the_same_events_in_the_same_order(
    bus: EventBus,
) -> None:
    thread = uuid7_str()
    start = await bus.last_id(thread)
    events = deltas(thread, 20)
    async with (
        contextlib.aclosing(bus.subscribe(thread, after=start)) as one,
        contextlib.aclosing(bus.subscribe(thread, after=start)) as two,
    ):
        both = asyncio.gather(take(one, 20), take(two, 20))
        for event in events:
            await bus.publish(event)
        first, second = await both
    assert first == second
    assert ids(first) == [e.id for e in events]


async def test_retention_is_capped_per_thread(make_bus: MakeBus) -> None:
    bus = make_bus(thread_maxlen=5)
    threads = [uuid7_str() for _ in range(3)]
    for _ in range(4):
        await bus.publish_many([e for thread in threads for e in deltas(thread, 3)])
    for thread in threads:
        assert len(await bus.read(thread, after=START, count=100)) == 5


async def test_a_quiet_thread_stream_expires(make_bus: MakeBus) -> None:
    bus = make_bus(thread_ttl=0.05)
    thread = uuid7_str()
    stream_id = await bus.publish(deltas(thread, 1)[0])
    async with asyncio.timeout(10):
        while await bus.last_id(thread) != START:
            await asyncio.sleep(0.02)
    with pytest.raises(StreamTrimmed):
        await bus.read(thread, after=stream_id)


async def test_a_republished_durable_event_appears_once(bus: EventBus) -> None:
    thread = uuid7_str()
    event = MessageCompleted(owner_id="u1", thread_id=thread, message_id=uuid7_str(), text="Hi")
    first = await bus.publish(event)
    again = await bus.publish_many([event, event])
    assert again == [first, first]
    assert [entry.event for entry in await bus.read(thread, after=START)] == [event]


async def test_quiet_threads_leave_nothing_behind(make_bus: MakeBus) -> None:
    bus = make_bus(thread_ttl=0.05, thread_maxlen=2)
    threads = [uuid7_str() for _ in range(20)]
    await bus.publish_many([e for thread in threads for e in deltas(thread, 3)])
    async with asyncio.timeout(10):
        while any([await bus.last_id(thread) != START for thread in threads]):
            await asyncio.sleep(0.02)
    if isinstance(bus, InProcessEventBus):
        assert bus.stream_count() == 0
    else:
        assert isinstance(bus, RedisEventBus)
        left = [key async for key in bus.client.scan_iter(match=f"{bus.keys.namespace}:thread:*")]
        assert left == []


async def test_many_subscribers_on_many_threads_each_get_their_own(bus: EventBus) -> None:
    threads = [uuid7_str() for _ in range(10)]
    starts = {thread: await bus.last_id(thread) for thread in threads}
    expected = {thread: deltas(thread, 3) for thread in threads}

    async def watch(thread: str) -> list[str]:
        async with contextlib.aclosing(bus.subscribe(thread, after=starts[thread])) as events:
            return ids(await take(events, 3))

    watchers = [asyncio.ensure_future(watch(thread)) for thread in threads for _ in range(5)]
    for i in range(3):
        await bus.publish_many([expected[thread][i] for thread in threads])
        await asyncio.sleep(0)
    results = await asyncio.gather(*watchers)
    for index, result in enumerate(results):
        assert result == [e.id for e in expected[threads[index // 5]]]
