"""The transactional outbox: events that must not be lost are written with their change.

An operation calls `ctx.events.add(ThreadUpdated.of(thread))`; the row commits or rolls
back with the change, and `OutboxRelay` publishes committed rows to the bus afterwards,
so an outage of the bus delays events and loses none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from py_core.database.models import OutboxEvent
from py_core.events._relay import OutboxRelay, RelaySettings
from py_core.events.types import Event

__all__ = ["Outbox", "OutboxRelay", "RelaySettings", "outbox_row"]

_WAKERS = "py_core.events.outbox.wakers"
_PENDING = "py_core.events.outbox.pending"


class Outbox:
    """Adds events to a session's transaction; published only if it commits."""

    def __init__(self, session: AsyncSession, *, wake: Callable[[], None] | None = None) -> None:
        self._session = session
        self._wake = wake

    def add(self, event: Event) -> None:
        """Write `event` in the current transaction (flushed with the session)."""
        self._session.add(outbox_row(event))
        self._after_commit_wake()

    def add_all(self, events: Iterable[Event]) -> None:
        for event in events:
            self.add(event)

    def _after_commit_wake(self) -> None:
        if self._wake is None:
            return
        info = self._session.info
        info[_PENDING] = True
        wakers: list[Callable[[], None]] | None = info.get(_WAKERS)
        if wakers is None:
            wakers = info[_WAKERS] = []
            sync_session = self._session.sync_session
            # A flag left by a rolled-back transaction only costs the relay an empty look.
            sa_event.listen(sync_session, "after_commit", _wake_after_commit)
        if self._wake not in wakers:
            wakers.append(self._wake)


def outbox_row(event: Event) -> OutboxEvent:
    """The row that carries `event` until the relay publishes it."""
    return OutboxEvent(
        id=event.id, thread_id=event.thread_id, type=event.type, payload=event.model_dump_json()
    )


def _wake_after_commit(session: Session, *_: Any) -> None:
    # Only when this transaction wrote events; the relay's poll covers everything else.
    if session.info.pop(_PENDING, False):
        for wake in session.info.get(_WAKERS, ()):
            wake()
