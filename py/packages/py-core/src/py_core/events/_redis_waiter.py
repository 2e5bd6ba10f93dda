"""One blocking read per process for every subscriber waiting on Redis.

A blocked `XREAD` holds its connection, so one per subscriber would cost a Redis
connection per open browser tab. Instead the waiting subscribers register here, and
one task reads all their streams at once and wakes those with something new.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from redis.asyncio import Redis

from py_core.events._base import BusUnavailable, parse_stream_id


class SharedWaiter:
    """Waits for entries after a position on many streams, with one `XREAD` at a time."""

    def __init__(self, client: Redis, *, tick: float) -> None:
        self._client = client
        # A stream's new waiter joins the read in progress when it returns: at most
        # `tick` seconds later (the read blocks that long).
        self._tick_ms = max(1, int(tick * 1000))
        self._waiting: dict[str, dict[asyncio.Future[None], tuple[int, int]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def wait(self, key: str, *, after: str, block: float) -> bool:
        """True when `key` has an entry after `after`, False after `block` seconds."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, {})[future] = parse_stream_id(after)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._read(), name="redis shared waiter")
        try:
            async with asyncio.timeout(block):
                await future
        except TimeoutError:
            return False
        finally:
            waiters = self._waiting.get(key, {})
            waiters.pop(future, None)
            if not waiters:
                self._waiting.pop(key, None)
        return True

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _read(self) -> None:
        while self._waiting:
            # From the lowest position on each stream; waiters further on keep waiting.
            streams: dict[Any, Any] = {
                key: "{}-{}".format(*min(waiters.values()))
                for key, waiters in self._waiting.items()
            }
            try:
                found: Any = await self._client.xread(streams, count=1, block=self._tick_ms)
            except Exception as exc:  # an outage: every waiter hears of it
                self._fail(exc)
                return
            for key, entries in found or []:
                newest = parse_stream_id(str(entries[-1][0]))
                for future, position in self._waiting.get(key, {}).items():
                    if position < newest and not future.done():
                        future.set_result(None)

    def _fail(self, error: Exception) -> None:
        for waiters in self._waiting.values():
            for future in waiters:
                if not future.done():
                    future.set_exception(BusUnavailable(f"Redis: {type(error).__name__}: {error}"))
