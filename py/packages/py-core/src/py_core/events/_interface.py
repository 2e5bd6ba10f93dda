"""The bus interface both implementations fulfil; the contract tests hold them to it."""

from __future__ import annotations

import abc
import logging
from collections.abc import AsyncGenerator, Sequence

from py_core.events._base import (
    START,
    BusSettings,
    BusUnavailable,
    StreamEntry,
    normalise_after,
    parse_stream_id,
)
from py_core.events._retry import Reconnect
from py_core.events.types import Event

__all__ = ["START", "EventBus", "Follower", "has_gap"]


class Follower(abc.ABC):
    """A subscriber's live place on one thread's stream (`EventBus.follow`)."""

    @abc.abstractmethod
    async def next(self, block: float) -> list[StreamEntry]:
        """The entries that came since the last call, waiting up to `block` seconds for
        some (then `[]`). Raises `StreamTrimmed` when some were trimmed before they
        could be read, `BusUnavailable` in an outage (follow again after a read)."""

    @abc.abstractmethod
    def close(self) -> None:
        """Stop following; nothing more is read for it."""


class EventBus(abc.ABC):
    """Per-thread event streams: publish to them, read them, subscribe to them.

    A thread's stream carries every event of the thread in order, for live subscribers
    (SSE, the cancel watch of a generation) and for resumption by stream id.
    """

    def __init__(self, *, settings: BusSettings, logger: logging.Logger) -> None:
        self.settings = settings
        self.logger = logger

    async def publish(self, event: Event) -> str:
        """Append `event` to its thread's stream; returns its stream id (the SSE `id:`)."""
        (stream_id,) = await self.publish_many([event])
        return stream_id

    @abc.abstractmethod
    async def publish_many(self, events: Sequence[Event]) -> list[str]:
        """Append `events` in order, in as few round trips as possible; their stream ids.

        A durable event whose id was already published is not appended again: its
        earlier stream id is returned. Raises `BusUnavailable` when the bus is down.
        """

    @abc.abstractmethod
    async def last_id(self, thread_id: str) -> str:
        """The newest stream id of the thread, or `START` when nothing is retained."""

    @abc.abstractmethod
    async def read(
        self, thread_id: str, *, after: str, count: int | None = None
    ) -> list[StreamEntry]:
        """Retained entries strictly after `after`, oldest first, without waiting.

        Raises `StreamTrimmed` when entries after `after` were dropped (or when `after`
        is unknown to the stream), unless `after` is `START`.
        """

    @abc.abstractmethod
    def follow(self, thread_id: str, *, after: str) -> Follower:
        """The thread's entries after `after`, as they come, from a read that checked
        for gaps: `await follower.next(block)`, then `follower.close()`."""

    async def subscribe(
        self, thread_id: str, *, after: str | None = None
    ) -> AsyncGenerator[StreamEntry, None]:
        """Entries of a thread's stream as they come, forever.

        `after=None` starts from now; `"0"` from everything retained; any other id
        strictly after it. Raises `StreamTrimmed` when entries the caller has not seen
        are gone (resync from the database then). Survives outages of the bus: it
        retries with back-off and continues exactly where it stopped. Close it
        (`contextlib.aclosing`) to release its connection at once.
        """
        position = None if after is None else normalise_after(after)
        reconnect = Reconnect(
            what=f"subscriber of thread {thread_id}", settings=self.settings, logger=self.logger
        )
        follower: Follower | None = None
        try:
            while True:
                try:
                    if position is None:
                        position = await self.last_id(thread_id)
                    if follower is None:
                        # At the start and after an outage: a read that checks for
                        # gaps (a trimmed or recreated stream), then live.
                        entries = await self.read(thread_id, after=position)
                        start = entries[-1].stream_id if entries else position
                        follower = self.follow(thread_id, after=start)
                    else:
                        entries = await follower.next(self.settings.read_block)
                except BusUnavailable as exc:
                    if follower is not None:
                        follower.close()
                        follower = None
                    await reconnect.failed(exc)
                    continue
                reconnect.succeeded()
                for entry in entries:
                    position = entry.stream_id
                    yield entry
        finally:
            if follower is not None:
                follower.close()

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections; wakes no one."""


def has_gap(after: str, *, first: str | None, last_trimmed: str | None) -> bool:
    """Whether a reader at `after` would miss entries, given what the stream retains.

    Entries are only ever dropped from the head (trimming), so a reader misses some
    exactly when one newer than its position was dropped. A position older than the
    first entry that is not the last dropped one was never on this stream (it expired
    and was recreated since): the reader cannot be told what it missed either.
    """
    position = parse_stream_id(after)
    if position == (0, 0):
        return False
    deleted = parse_stream_id(last_trimmed or START)
    if deleted > position:
        return True
    return first is not None and position < parse_stream_id(first) and position != deleted
