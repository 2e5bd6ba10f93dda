"""Turn a stream of small text deltas into few `message.delta` events.

A fast model emits a token every few milliseconds; one event each would cost a Redis
round trip and an SSE frame per token. Deltas are buffered and published at most
every `interval` seconds, or sooner once `max_chars` have gathered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class DeltaCoalescer:
    """Buffers text and hands it to `publish(seq, text)` in order, never concurrently."""

    def __init__(
        self,
        publish: Callable[[int, str], Awaitable[None]],
        *,
        interval: float,
        max_chars: int,
    ) -> None:
        self._publish = publish
        self._interval = interval
        self._max_chars = max_chars
        self._buffer: list[str] = []
        self._size = 0
        self._seq = 0
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self.published = ""
        """Everything handed to `publish` so far, joined."""

    async def __aenter__(self) -> DeltaCoalescer:
        self._ticker = asyncio.create_task(self._tick(), name="delta-coalescer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._ticker is not None:
            self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
        await self.flush()

    async def add(self, text: str) -> None:
        if not text:
            return
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= self._max_chars:
            await self.flush()

    async def flush(self) -> None:
        async with self._lock:
            if not self._buffer:
                return
            text = "".join(self._buffer)
            self._buffer.clear()
            self._size = 0
            seq = self._seq
            self._seq += 1
            # Counted before the await: if publishing fails, the text is still part of
            # the reply (it is in the final event and the database).
            self.published += text
            await self._publish(seq, text)

    async def _tick(self) -> None:
        # A timer rather than a check on each delta, so text is not held back when
        # the model pauses (a tool call, a slow provider).
        while True:
            await asyncio.sleep(self._interval)
            await self.flush()
