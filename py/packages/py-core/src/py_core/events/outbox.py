"""The transactional outbox: events that must not be lost are written with their change.

An operation calls `ctx.events.add(ThreadUpdated.of(thread))`; the row commits or rolls
back with the change, and `OutboxRelay` publishes committed rows to the bus afterwards,
so an outage of the bus delays events and loses none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.database.models import OutboxEvent
from py_core.database.unit_of_work import after_commit
from py_core.events._direct import add_direct, publish_on_commit
from py_core.events._relay import OutboxRelay, RelaySettings
from py_core.events.types import Event

__all__ = [
    "Outbox",
    "OutboxRelay",
    "RelaySettings",
    "outbox_row",
    "publish_on_commit",
    "wake_on_commit",
]

_WAKE = "py_core.events.outbox.wake"


def wake_on_commit(sessions: async_sessionmaker[AsyncSession], wake: Callable[[], None]) -> None:
    """Every session of `sessions` that commits events calls `wake` (`OutboxRelay.wake`)
    right after, so they go out at once instead of at the relay's next poll."""
    sessions.configure(info={**sessions.kw.get("info", {}), _WAKE: wake})


class Outbox:
    """Adds events to a session's transaction; published only if it commits."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def add(self, event: Event) -> None:
        """Write `event` in the current transaction (flushed with the session); with the
        in-process bus, hold it to be published by the commit (`publish_on_commit`)."""
        if add_direct(self._session, event):
            return
        self._session.add(outbox_row(event))
        wake: Callable[[], None] | None = self._session.info.get(_WAKE)
        if wake is not None:
            after_commit(self._session, wake)

    def add_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.add(event)


def outbox_row(event: Event) -> OutboxEvent:
    """The row that carries `event` until the relay publishes it."""
    return OutboxEvent(
        id=event.id, thread_id=event.thread_id, type=event.type, payload=event.model_dump_json()
    )
