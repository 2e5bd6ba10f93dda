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
    """Buffers text and hands it to `publish(seq, text)` in order.

    One task (the ticker) does all the publishing, so deltas can never overtake each
    other and no lock is needed; `add` only appends and, past `max_chars`, wakes it.
    """

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
        self._wake = asyncio.Event()
        self._closing = False
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> DeltaCoalescer:
        self._ticker = asyncio.create_task(self._tick(), name="delta-coalescer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Not cancelled: the ticker publishes what is left and returns, so the last
        # delta is never cut off half-sent.
        self._closing = True
        self._wake.set()
        if self._ticker is not None:
            await self._ticker

    def add(self, text: str) -> None:
        if not text:
            return
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= self._max_chars:
            self._wake.set()

    async def _tick(self) -> None:
        # A timer rather than a check on each delta, so text is not held back when
        # the model pauses (a tool call, a slow provider).
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
            self._wake.clear()
            await self._flush()
            if self._closing:
                return

    async def _flush(self) -> None:
        if not self._buffer:
            return
        text = "".join(self._buffer)
        self._buffer.clear()
        self._size = 0
        seq = self._seq
        self._seq += 1
        await self._publish(seq, text)
