"""The relay from the outbox table to the bus: committed rows, in order, once each."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.database.models import OutboxEvent
from py_core.database.utils import utcnow
from py_core.events._base import BusUnavailable
from py_core.events._interface import EventBus
from py_core.events._retry import Reconnect
from py_core.events.types import Event, InvalidEvent, parse_event

PublishedHook = Callable[[Event], None]
"""Told of each event the relay published, once its row is marked; it must not block
(a counter, a log line), since the relay waits for it."""


def report_published(
    hook: PublishedHook | None, events: Sequence[Event], logger: logging.Logger
) -> None:
    """Tell `hook` of each published event, in order. A hook that fails is logged: the
    events are out, so failing the publisher would only hide that."""
    if hook is None:
        return
    for event in events:
        try:
            hook(event)
        except Exception:
            logger.exception("on_published failed for event %s", event.id)


@dataclass(frozen=True, kw_only=True)
class RelaySettings:
    """How often and how much the relay works."""

    batch_size: int = 100
    """Rows published per transaction."""
    gather: float = 0.005
    """Seconds a pass waits after a commit woke it, for other commits to join it."""
    poll_interval: float = 1.0
    """Seconds between looks when no commit wakes the relay (other processes' commits)."""
    keep_published: float = 86_400.0
    """Seconds a published row is kept (for inspection) before it is pruned."""
    prune_interval: float = 600.0
    """Seconds between prunings."""


class OutboxRelay:
    """Publishes committed outbox rows to the bus and marks them published.

    Several relays may run at once on PostgreSQL (rows are taken `FOR UPDATE SKIP
    LOCKED`, and a thread's rows are only taken in order); on SQLite one per database
    file. A row is marked only after the bus accepted it, so an outage delays rows and
    loses none; a row published but not marked (a crash in between) is published
    again with the same event id, which the bus drops as a duplicate.

    `on_published` is called with each event after its row is marked, so each committed
    row is reported once across all relays; the exception is a crash between the
    publication and the mark, after which the next relay reports the row again.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bus: EventBus,
        *,
        settings: RelaySettings | None = None,
        on_published: PublishedHook | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus = bus
        self.settings = settings or RelaySettings()
        self._sessions = sessions
        self._on_published = on_published
        self._logger = logger or logging.getLogger("py_core.events")
        self._wakeup = asyncio.Event()
        # One pass at a time: on SQLite nothing else stops two passes (the loop and a
        # drain at shutdown) from taking, publishing and reporting the same rows.
        self._passing = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Look now (called after a commit that wrote events; see `wake_on_commit`)."""
        self._wakeup.set()

    async def relay_once(self) -> int:
        """Publish one batch; the number of rows published. Raises `BusUnavailable`."""
        async with self._passing:
            return await self._pass()

    async def _pass(self) -> int:
        async with self._sessions() as session:
            if session.get_bind().dialect.name == "postgresql":
                # The row locks are held while publishing, so other relays skip these rows.
                async with session.begin():
                    events = await self._take(session, lock=True)
                    if events:
                        await self._mark(session, events, await self.bus.publish_many(events))
                self._report(events)
                return len(events)
            # SQLite: one relay per file, and its write lock is not held while the bus is
            # slow or down (every other writer would wait on it).
            async with session.begin():
                events = await self._take(session, lock=False)
            if events:
                stream_ids = await self.bus.publish_many(events)
                async with session.begin():
                    await self._mark(session, events, stream_ids)
                self._report(events)
            return len(events)

    def _report(self, events: list[Event]) -> None:
        report_published(self._on_published, events, self._logger)

    async def relay_pending(self) -> int:
        """Publish until nothing committed is left; the number of rows published."""
        total = 0
        while True:
            published = await self.relay_once()
            total += published
            # A short batch was all there was: no empty look to prove it.
            if published < self.settings.batch_size:
                return total

    async def _take(self, session: AsyncSession, *, lock: bool) -> list[Event]:
        statement = (
            select(OutboxEvent)
            .where(OutboxEvent.published_at.is_(None))
            .order_by(OutboxEvent.id)
            .limit(self.settings.batch_size)
        )
        if lock:
            statement = statement.with_for_update(skip_locked=True)
        rows = list(await session.scalars(statement))
        if lock:
            rows = await _in_thread_order(session, rows)
        events: list[Event] = []
        for row in rows:
            try:
                events.append(parse_event(row.payload))
            except InvalidEvent as exc:
                # From a newer release, most likely: leave it for a relay that knows it.
                self._logger.warning("outbox row %s left unpublished: %s", row.id, exc)
        return events

    async def _mark(
        self, session: AsyncSession, events: list[Event], stream_ids: list[str]
    ) -> None:
        now = utcnow()
        # The row's id is the event's id.
        await session.execute(
            update(OutboxEvent),
            [
                {"id": event.id, "published_at": now, "stream_id": stream_id}
                for event, stream_id in zip(events, stream_ids, strict=True)
            ],
        )

    async def prune(self, *, older_than: float | None = None) -> int:
        """Delete rows published more than `older_than` seconds ago; how many."""
        keep = self.settings.keep_published if older_than is None else older_than
        cutoff = utcnow() - timedelta(seconds=keep)
        async with self._sessions() as session, session.begin():
            result: Any = await session.execute(
                delete(OutboxEvent).where(OutboxEvent.published_at < cutoff)
            )
        return int(result.rowcount)

    def start(self) -> None:
        """Run in the background until `stop` (an app's lifespan)."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox relay")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        reconnect = Reconnect(what="outbox relay", settings=self.bus.settings, logger=self._logger)
        last_prune = float("-inf")
        while True:
            self._wakeup.clear()  # a commit during the pass below makes another pass
            try:
                await self.relay_pending()
            except BusUnavailable as exc:
                await reconnect.failed(exc)
                continue
            except Exception:
                # The database, most likely; the rows wait, the loop goes on.
                self._logger.exception("outbox relay failed; retrying")
            else:
                reconnect.succeeded()
            if time.monotonic() - last_prune >= self.settings.prune_interval:
                last_prune = time.monotonic()
                await self._prune_quietly()
            try:
                async with asyncio.timeout(self.settings.poll_interval):
                    await self._wakeup.wait()
            except TimeoutError:
                continue
            # Woken by a commit: let the commits of the next moment join it, so that
            # under load one pass (two transactions) carries many replies' events.
            await asyncio.sleep(self.settings.gather)

    async def _prune_quietly(self) -> None:
        try:
            pruned = await self.prune()
        except Exception:
            self._logger.exception("outbox pruning failed")
            return
        if pruned:
            self._logger.info("pruned %d published outbox rows", pruned)


async def _in_thread_order(session: AsyncSession, rows: Sequence[OutboxEvent]) -> list[OutboxEvent]:
    """The rows that can go now without overtaking a thread's earlier row that another
    relay holds (SKIP LOCKED skipped it): per thread, only our unbroken prefix."""
    if not rows:
        return []
    ours = {row.id for row in rows}
    earlier = await session.execute(
        select(OutboxEvent.id, OutboxEvent.thread_id)
        .where(
            OutboxEvent.published_at.is_(None),
            OutboxEvent.thread_id.in_({row.thread_id for row in rows}),
            OutboxEvent.id <= rows[-1].id,
        )
        .order_by(OutboxEvent.id)
    )
    blocked: set[str] = set()
    allowed: set[str] = set()
    for row_id, thread_id in earlier:
        if row_id not in ours:
            blocked.add(thread_id)
        elif thread_id not in blocked:
            allowed.add(row_id)
    return [row for row in rows if row.id in allowed]
