"""The relay's `on_published` hook: each event it published, reported once.

The app counts tokens with it (py_app.runtime `count_tokens`), so a row reported twice
is a reply counted twice, and a row reported before it is marked could be counted and
then published again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.database.models import OutboxEvent
from py_core.database.utils import uuid7_str
from py_core.events import (
    BusUnavailable,
    Event,
    EventBus,
    MessageCompleted,
    Outbox,
    OutboxRelay,
    RelaySettings,
)
from py_core_testing.events import MakeBus, TcpProxy

Sessions = async_sessionmaker[AsyncSession]


def completed(thread_id: str, count: int) -> list[Event]:
    return [
        MessageCompleted(owner_id="u1", thread_id=thread_id, message_id=uuid7_str(), text=str(i))
        for i in range(count)
    ]


async def commit(sessions: Sessions, events: list[Event]) -> None:
    async with sessions() as session, session.begin():
        Outbox(session).add_all(events)


async def unpublished(sessions: Sessions) -> int:
    async with sessions() as session:
        query = select(func.count()).where(OutboxEvent.published_at.is_(None))
        return int(await session.scalar(query) or 0)


async def test_each_published_event_is_reported_once_in_order(
    sessions: Sessions, bus: EventBus
) -> None:
    events = completed(uuid7_str(), 5)
    await commit(sessions, events[:2])
    await commit(sessions, events[2:])
    reported: list[Event] = []
    relay = OutboxRelay(
        sessions, bus, settings=RelaySettings(batch_size=2), on_published=reported.append
    )
    assert await relay.relay_pending() == 5
    assert await relay.relay_pending() == 0
    assert reported == events


async def test_nothing_is_reported_while_the_bus_is_down(
    sessions: Sessions, make_redis_bus: MakeBus, redis_proxy: TcpProxy
) -> None:
    events = completed(uuid7_str(), 3)
    await commit(sessions, events)
    reported: list[Event] = []
    bus = make_redis_bus(redis_proxy.url, publish_attempts=1)
    relay = OutboxRelay(sessions, bus, on_published=reported.append)
    await redis_proxy.cut()
    with pytest.raises(BusUnavailable):
        await relay.relay_once()
    assert reported == []
    await redis_proxy.restore()
    assert await relay.relay_pending() == 3
    assert reported == events


async def test_a_failing_hook_is_logged_and_the_relay_goes_on(
    sessions: Sessions, bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    events = completed(uuid7_str(), 3)
    await commit(sessions, events)
    reported: list[Event] = []

    def flaky(event: Event) -> None:
        if event == events[0]:
            raise RuntimeError("the counter is broken")
        reported.append(event)

    relay = OutboxRelay(sessions, bus, on_published=flaky, logger=logging.getLogger("test.relay"))
    with caplog.at_level(logging.ERROR, logger="test.relay"):
        assert await relay.relay_pending() == 3
    assert reported == events[1:]
    assert await unpublished(sessions) == 0  # marked, so never published (or reported) again
    assert any("on_published failed" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_concurrent_relays_report_each_row_once(sessions: Sessions, bus: EventBus) -> None:
    threads = [uuid7_str() for _ in range(4)]
    expected = [event for thread in threads for event in completed(thread, 30)]
    for i in range(0, len(expected), 20):
        await commit(sessions, expected[i : i + 20])
    reported: Counter[str] = Counter()

    def count(event: Event) -> None:
        reported[event.id] += 1

    relays = [
        OutboxRelay(sessions, bus, settings=RelaySettings(batch_size=7), on_published=count)
        for _ in range(3)
    ]
    # The bus drops a re-publication of an id, so only the hook can tell a row sent twice.
    async with asyncio.timeout(30):
        while await unpublished(sessions):
            await asyncio.gather(*(relay.relay_pending() for relay in relays))
    assert reported == Counter(event.id for event in expected)


async def test_overlapping_passes_of_one_relay_report_each_row_once(
    sessions: Sessions, bus: EventBus
) -> None:
    # The app's shutdown drains the relay while its background loop may be mid-pass.
    events = completed(uuid7_str(), 6)
    await commit(sessions, events)
    reported: list[Event] = []
    relay = OutboxRelay(
        sessions, bus, settings=RelaySettings(batch_size=2), on_published=reported.append
    )
    await asyncio.gather(relay.relay_pending(), relay.relay_pending(), relay.relay_pending())
    assert reported == events
