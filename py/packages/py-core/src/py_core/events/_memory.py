"""The in-process bus: the embedded default, with the same guarantees as Redis Streams
inside one process (and one event loop)."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Sequence

from py_core.events._base import (
    START,
    BusSettings,
    StreamEntry,
    StreamTrimmed,
    normalise_after,
    parse_stream_id,
)
from py_core.events._interface import EventBus, Follower, has_gap
from py_core.events._memory_streams import MemoryStream, Waiters, format_id
from py_core.events.types import Event


class InProcessEventBus(EventBus):
    """Thread streams in this process's memory."""

    def __init__(
        self, *, settings: BusSettings | None = None, logger: logging.Logger | None = None
    ) -> None:
        super().__init__(
            settings=settings or BusSettings(), logger=logger or logging.getLogger("py_core.events")
        )
        # In activity order, so expired streams are found at the front.
        self._threads: OrderedDict[str, MemoryStream] = OrderedDict()
        self._seen: OrderedDict[str, tuple[float, str]] = OrderedDict()
        self._waiters = Waiters()

    async def publish_many(self, events: Sequence[Event]) -> list[str]:
        return self.publish_now(events)

    def publish_now(self, events: Sequence[Event]) -> list[str]:
        """`publish_many` without a wait: nothing here ever waits, so a caller that may
        not await (an after-commit hook) publishes in order, at once."""
        self._expire()
        stream_ids: list[str] = []
        for event in events:
            if event.durable and event.id in self._seen:
                stream_ids.append(self._seen[event.id][1])
                continue
            stream = self._threads.pop(event.thread_id, None) or MemoryStream(
                maxlen=self.settings.thread_maxlen
            )
            self._threads[event.thread_id] = stream
            stream_id = stream.append(event)
            if event.durable:
                self._seen[event.id] = (time.monotonic() + self.settings.dedupe_ttl, stream_id)
            stream_ids.append(stream_id)
            self._waiters.notify(event.thread_id)
        return stream_ids

    async def last_id(self, thread_id: str) -> str:
        self._expire()
        stream = self._threads.get(thread_id)
        return format_id(stream.last) if stream is not None else START

    async def read(
        self, thread_id: str, *, after: str, count: int | None = None
    ) -> list[StreamEntry]:
        after = normalise_after(after)
        self._expire()
        stream = self._threads.get(thread_id)
        if stream is None:
            if after != START:
                raise StreamTrimmed(thread_id, after)
            return []
        first = stream.first()
        if has_gap(
            after,
            first=format_id(first) if first else None,
            last_trimmed=format_id(stream.last_trimmed),
        ):
            raise StreamTrimmed(thread_id, after)
        entries = stream.after(parse_stream_id(after), count or self.settings.read_count)
        return [StreamEntry(stream_id, event) for stream_id, event in entries]

    def follow(self, thread_id: str, *, after: str) -> Follower:
        return _MemoryFollower(bus=self, thread_id=thread_id, after=normalise_after(after))

    async def wait(self, thread_id: str, *, after: str, block: float) -> bool:
        """Wait until the thread has an entry after `after`; False after `block` seconds."""
        stream = self._threads.get(thread_id)
        if stream is not None and stream.last > parse_stream_id(after):
            return True
        return await self._waiters.wait(thread_id, block)

    async def close(self) -> None:
        self._threads.clear()

    def _expire(self) -> None:
        """Drop thread streams quiet for `thread_ttl`, and remembered ids past `dedupe_ttl`."""
        now = time.monotonic()
        while self._threads:
            thread_id, stream = next(iter(self._threads.items()))
            if now - stream.touched < self.settings.thread_ttl:
                break
            del self._threads[thread_id]
        # Bounded by count too, so a burst cannot grow memory for a whole `dedupe_ttl`.
        while len(self._seen) > self.settings.dedupe_maxlen:
            self._seen.popitem(last=False)
        while self._seen:
            event_id, (expires, _) = next(iter(self._seen.items()))
            if expires > now:
                break
            del self._seen[event_id]

    def stream_count(self) -> int:
        """Thread streams held in memory (for tests and metrics)."""
        self._expire()
        return len(self._threads)


class _MemoryFollower(Follower):
    """Waits for an append, then reads (and so checks for gaps) like any read."""

    def __init__(self, *, bus: InProcessEventBus, thread_id: str, after: str) -> None:
        self._bus = bus
        self._thread_id = thread_id
        self._position = after

    async def next(self, block: float) -> list[StreamEntry]:
        if not await self._bus.wait(self._thread_id, after=self._position, block=block):
            return []
        entries = await self._bus.read(self._thread_id, after=self._position)
        if entries:
            self._position = entries[-1].stream_id
        return entries

    def close(self) -> None:
        """Nothing is held between calls."""
