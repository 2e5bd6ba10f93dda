"""Append-only streams in memory, with Redis's ids and trimming rules."""

from __future__ import annotations

import asyncio
import bisect
import time
from collections import deque
from dataclasses import dataclass, field

from py_core.events.types import Event

StreamIdPair = tuple[int, int]


def format_id(pair: StreamIdPair) -> str:
    return f"{pair[0]}-{pair[1]}"


@dataclass(kw_only=True)
class MemoryStream:
    """One stream: entries in id order, trimmed from the head to `maxlen`."""

    maxlen: int
    """Entries kept; older ones are dropped."""
    ids: deque[StreamIdPair] = field(default_factory=deque)
    """Entry ids, ascending (parallel to `events`)."""
    events: deque[Event] = field(default_factory=deque)
    """Entry events."""
    last: StreamIdPair = (0, 0)
    """The newest id ever generated, so ids keep increasing after trimming."""
    last_trimmed: StreamIdPair = (0, 0)
    """The newest id ever trimmed; a reader behind it has missed entries."""
    touched: float = field(default_factory=time.monotonic)
    """When the last entry was appended."""

    def append(self, event: Event) -> str:
        # Ids are "<ms>-<seq>" like Redis: the clock, or the last id + 1 if the clock
        # has not moved (or went back), so they always increase.
        now_ms = time.time_ns() // 1_000_000
        pair = (now_ms, 0) if now_ms > self.last[0] else (self.last[0], self.last[1] + 1)
        self.last = pair
        self.ids.append(pair)
        self.events.append(event)
        while len(self.ids) > self.maxlen:
            self.last_trimmed = self.ids.popleft()
            self.events.popleft()
        self.touched = time.monotonic()
        return format_id(pair)

    def first(self) -> StreamIdPair | None:
        return self.ids[0] if self.ids else None

    def after(self, position: StreamIdPair, count: int) -> list[tuple[str, Event]]:
        start = bisect.bisect_right(self.ids, position)
        stop = min(start + count, len(self.ids))
        return [(format_id(self.ids[i]), self.events[i]) for i in range(start, stop)]


class Waiters:
    """Readers waiting for appends, by stream name (a stream may expire and come back)."""

    def __init__(self) -> None:
        self._waiting: dict[str, set[asyncio.Event]] = {}

    def notify(self, name: str) -> None:
        for waiter in self._waiting.get(name, ()):
            waiter.set()

    async def wait(self, name: str, block: float) -> bool:
        """Wait for the next `notify(name)`; False after `block` seconds without one."""
        waiter = asyncio.Event()
        self._waiting.setdefault(name, set()).add(waiter)
        try:
            async with asyncio.timeout(block):
                await waiter.wait()
        except TimeoutError:
            return False
        finally:
            waiting = self._waiting[name]
            waiting.discard(waiter)
            if not waiting:
                del self._waiting[name]
        return True
