"""The durable domain stream and its consumer groups, on both buses."""

from __future__ import annotations

from py_core.database.utils import uuid7_str
from py_core.events import (
    DomainConsumer,
    Event,
    EventPublisher,
    MessageCompleted,
    MessageDelta,
    ThreadUpdated,
)
from py_core.events.testing import MakeBus


def completed(count: int) -> list[Event]:
    thread = uuid7_str()
    return [
        MessageCompleted(owner_id="u1", thread_id=thread, message_id=uuid7_str(), text=str(i))
        for i in range(count)
    ]


async def test_each_entry_goes_to_one_consumer_of_a_group(bus: EventPublisher) -> None:
    events = completed(5)
    await bus.publish_many(events)
    first = await bus.read_group("mail", "c1", count=3)
    second = await bus.read_group("mail", "c2", count=10)
    assert [d.event for d in first + second] == events
    assert {d.deliveries for d in first + second} == {1}
    await bus.ack("mail", [d.stream_id for d in first + second])
    assert await bus.read_group("mail", "c3") == []


async def test_every_group_gets_every_entry(bus: EventPublisher) -> None:
    events = completed(3)
    await bus.publish_many(events)
    for group in ("mail", "search"):
        assert [d.event for d in await bus.read_group(group, "c1")] == events


async def test_a_group_created_later_gets_what_is_retained(bus: EventPublisher) -> None:
    events = completed(2)
    await bus.publish_many(events)
    assert [d.event for d in await bus.read_group("late", "c1")] == events
    more = completed(1)
    await bus.publish_many(more)
    assert [d.event for d in await bus.read_group("late", "c1")] == more


async def test_live_only_deltas_stay_off_the_domain_stream(bus: EventPublisher) -> None:
    thread = uuid7_str()
    delta = MessageDelta(owner_id="u1", thread_id=thread, message_id="m", seq=0, text="a")
    update = ThreadUpdated(owner_id="u1", thread_id=thread, title="T")
    await bus.publish_many([delta, update])
    assert [d.event for d in await bus.read_group("g", "c1")] == [update]


async def test_entries_of_a_dead_consumer_are_redelivered_to_another(
    make_bus: MakeBus,
) -> None:
    bus = make_bus(claim_idle=0)  # no wait in the test: every unacknowledged entry is idle
    events = completed(3)
    await bus.publish_many(events)
    dying = await bus.read_group("g", "dies")
    await bus.ack("g", [dying[0].stream_id])
    # "dies" never acknowledges the rest; "heir" claims them.
    inherited = await bus.read_group("g", "heir")
    assert [d.event for d in inherited] == events[1:]
    assert [d.deliveries for d in inherited] == [2, 2]
    await bus.ack("g", [d.stream_id for d in inherited])
    assert await bus.read_group("g", "third") == []


async def test_entries_are_not_claimed_before_they_are_idle(make_bus: MakeBus) -> None:
    bus = make_bus(claim_idle=3600)
    await bus.publish_many(completed(2))
    assert len(await bus.read_group("g", "busy")) == 2
    assert await bus.read_group("g", "other") == []


async def test_a_poison_entry_goes_to_the_dead_letter_stream(make_bus: MakeBus) -> None:
    bus = make_bus(claim_idle=0, max_deliveries=3)
    (poison,) = completed(1)
    await bus.publish(poison)
    counts = []
    for _ in range(3):
        (delivery,) = await bus.read_group("g", "c1")
        counts.append(delivery.deliveries)  # handled, failed, not acknowledged
    assert counts == [1, 2, 3]
    assert await bus.read_group("g", "c1") == []
    (letter,) = await bus.dead_letters()
    assert letter.group == "g"
    assert letter.deliveries == 3
    assert letter.reason == "max_deliveries"
    assert letter.payload == poison.model_dump_json()
    assert await bus.read_group("g", "c2") == []


async def test_domain_consumer_acknowledges_what_it_handled_and_retries_the_rest(
    make_bus: MakeBus,
) -> None:
    bus = make_bus(claim_idle=0)
    events = completed(3)
    await bus.publish_many(events)
    handled: list[Event] = []
    failures = {events[1].id}

    async def handle(event: Event) -> None:
        if event.id in failures:
            failures.discard(event.id)
            raise RuntimeError("flaky")
        handled.append(event)

    consumer = DomainConsumer(bus, group="g", handler=handle)
    assert await consumer.process_once() == 2
    assert await consumer.process_once() == 1  # the failed one, redelivered
    assert await consumer.process_once() == 0
    assert sorted(e.id for e in handled) == sorted(e.id for e in events)


async def test_domain_consumer_runs_in_the_background(bus: EventPublisher) -> None:
    import asyncio

    seen: asyncio.Queue[Event] = asyncio.Queue()

    async def handle(event: Event) -> None:
        await seen.put(event)

    consumer = DomainConsumer(bus, group="bg", handler=handle)
    consumer.start()
    try:
        events = completed(2)
        await bus.publish_many(events)
        async with asyncio.timeout(10):
            got = [await seen.get(), await seen.get()]
    finally:
        await consumer.stop()
    assert got == events


async def test_the_domain_and_dead_letter_streams_are_capped(make_bus: MakeBus) -> None:
    bus = make_bus(domain_maxlen=3, dead_letter_maxlen=2, claim_idle=0, max_deliveries=1)
    events = completed(5)
    await bus.publish_many(events)
    delivered = await bus.read_group("g", "c1")
    assert [d.event for d in delivered] == events[2:]
    assert await bus.read_group("g", "c1") == []  # each delivered once: all buried now
    assert [letter.original_id for letter in await bus.dead_letters()] == [
        d.stream_id for d in delivered[1:]
    ]
