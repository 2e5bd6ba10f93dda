"""Turn a stream of small text deltas into few `message.delta` events.

A fast model emits a token every few milliseconds; one event each would cost a bus
round trip and an SSE frame per token. The first text goes out at once (time to first
token is what a reader notices); after that, what arrives within `interval` seconds
is published as one delta, sooner once `max_chars` have gathered.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable


class DeltaCoalescer:
    """Buffers text and hands it to `publish(seq, text)` in order.

    One task (the ticker) does all the publishing, so deltas can never overtake each
    other and no lock is needed; `add` only appends and wakes it. A reply whose model
    is quiet costs nothing: the ticker sleeps until text arrives.
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
        self._arrived = asyncio.Event()
        """Set when text lands in an empty buffer (or on close)."""
        self._hurry = asyncio.Event()
        """Set when the window should end early: the buffer is full, or closing."""
        self._closing = False
        self._ticker: asyncio.Task[None] | None = None

    async def __aenter__(self) -> DeltaCoalescer:
        self._ticker = asyncio.create_task(self._tick(), name="delta-coalescer")
        return self

    async def __aexit__(self, *exc: object) -> None:
        # Not cancelled: the ticker publishes what is left and returns, so the last
        # delta is never cut off half-sent.
        self._closing = True
        self._arrived.set()
        self._hurry.set()
        if self._ticker is not None:
            await self._ticker

    def add(self, text: str) -> None:
        if not text:
            return
        if not self._buffer:
            self._arrived.set()
        self._buffer.append(text)
        self._size += len(text)
        if self._size >= self._max_chars:
            self._hurry.set()

    async def _tick(self) -> None:
        while True:
            await self._arrived.wait()
            if self._seq and not self._hurry.is_set():
                # Gather what comes within the window. `asyncio.timeout` rather than
                # `wait_for`: no task per window, which counts at hundreds of replies.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self._interval):
                        await self._hurry.wait()
            self._arrived.clear()
            if not self._closing:
                self._hurry.clear()
            await self._flush()
            if self._closing and not self._buffer:
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
