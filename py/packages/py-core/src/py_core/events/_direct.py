"""Events straight to the in-process bus after their commit, with no outbox row.

The outbox protects events from an outage of a bus that lives elsewhere (Redis): the row
waits until the relay can publish it. An in-process bus lives and dies with the process
that commits, so there is no outage to wait out, and after a crash there is no one left
who could have heard the event. A row would only cost an INSERT in the change's
transaction and two more transactions of the relay per batch, on the one SQLite writer
every request shares. So with the in-process bus, committed events are published by the
commit itself, in commit order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.database.unit_of_work import after_commit, is_registered
from py_core.events._memory import InProcessEventBus
from py_core.events._relay import PublishedHook, report_published
from py_core.events.types import Event

_DIRECT = "py_core.events.direct"
_PENDING = "py_core.events.direct.pending"
logger = logging.getLogger("py_core.events")


@dataclass(frozen=True, kw_only=True)
class _Direct:
    bus: InProcessEventBus
    on_published: PublishedHook | None


@dataclass(kw_only=True)
class _Pending:
    """One transaction's events, published when it commits (its after-commit work)."""

    direct: _Direct
    events: list[Event] = field(default_factory=list[Event])

    def __call__(self) -> None:
        events, self.events = self.events, []
        self.direct.bus.publish_now(events)
        report_published(self.direct.on_published, events, logger)


def publish_on_commit(
    sessions: async_sessionmaker[AsyncSession],
    bus: InProcessEventBus,
    *,
    on_published: PublishedHook | None = None,
) -> None:
    """Sessions of `sessions` publish their events to `bus` when they commit (and call
    `on_published` with each, as `OutboxRelay` does) instead of writing outbox rows."""
    direct = _Direct(bus=bus, on_published=on_published)
    sessions.configure(info={**sessions.kw.get("info", {}), _DIRECT: direct})


def add_direct(session: AsyncSession, event: Event) -> bool:
    """Hold `event` for the commit if the session publishes directly; False if not."""
    direct: _Direct | None = session.info.get(_DIRECT)
    if direct is None:
        return False
    if session.sync_session.get_transaction() is None:
        # As adding a row would: the events belong to a transaction that a rollback
        # ends (a transaction begun here touches no connection until it has to).
        session.sync_session.begin()
    pending: _Pending | None = session.info.get(_PENDING)
    if pending is None or not is_registered(session, pending):
        # A new transaction: the last one's events were published, or rolled back.
        pending = session.info[_PENDING] = _Pending(direct=direct)
    pending.events.append(event)
    after_commit(session, pending)
    return True
