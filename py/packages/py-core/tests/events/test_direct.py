"""With the in-process bus, the commit publishes its events itself: no outbox row."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.context import Context
from py_core.database.models import OutboxEvent
from py_core.database.utils import uuid7_str
from py_core.events import START, Event, InProcessEventBus, ThreadUpdated, publish_on_commit


def updates(thread_id: str, count: int, start: int = 0) -> list[Event]:
    return [
        ThreadUpdated(owner_id="u1", thread_id=thread_id, title=f"v{i}")
        for i in range(start, start + count)
    ]


async def published(bus: InProcessEventBus, thread_id: str) -> list[Event]:
    return [entry.event for entry in await bus.read(thread_id, after=START, count=100)]


async def test_the_commit_publishes_in_order_and_a_rollback_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    bus = InProcessEventBus()
    seen: list[Event] = []
    direct = async_sessionmaker(**sessions.kw)
    publish_on_commit(direct, bus, on_published=seen.append)
    thread = uuid7_str()
    async with direct() as session:
        ctx = Context(db=session)
        ctx.events.add_all(updates(thread, 2))
        await session.rollback()
        assert await published(bus, thread) == []
        ctx.events.add_all(committed := updates(thread, 3, start=2))
        assert await published(bus, thread) == []  # not before the commit
        await session.commit()
        assert await published(bus, thread) == committed == seen
        await session.commit()  # nothing new: nothing twice
        assert await published(bus, thread) == committed
        rows = await session.scalar(select(func.count()).select_from(OutboxEvent))
    assert rows == 0
