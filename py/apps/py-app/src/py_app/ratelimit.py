"""Fixed-window rate limits (sign-in, sign-up, `/v1` calls), per key.

Counted in Redis when it is configured, so every instance shares one count; in memory
otherwise (one process, the embedded default). While Redis cannot be reached the
limits are counted in memory, per process, and a request is never refused for it:
a limit is a guard, and the outage is logged once, when it starts and when it ends.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger("py_app.ratelimit")

REDIS_TIMEOUT = 1.0
"""Seconds a count may take on Redis before the process counts on its own: a limit
check must not hold a sign-in for long."""
REDIS_RETRY_SECONDS = 5.0
"""While Redis is away, how often a request tries it again (the others count in
memory at once instead of each waiting for a connection to fail)."""

_REDIS_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)

# Give one attempt back, without creating the key if its window has just ended.
_UNDO = """
if redis.call('EXISTS', KEYS[1]) == 1 then
  return redis.call('DECR', KEYS[1])
end
return 0
"""


@dataclass(frozen=True, kw_only=True)
class Verdict:
    allowed: bool
    """False once the key has used up its window."""
    retry_after: int
    """Seconds until the window resets (for `Retry-After`)."""


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        """Count one attempt on `key`; refuse when it exceeds `limit` per `window` seconds."""
        ...

    async def undo(self, key: str) -> None:
        """Give back one attempt counted on `key` (its window stays as it is)."""
        ...

    async def close(self) -> None: ...


class MemoryRateLimiter:
    def __init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        now = time.monotonic()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= window:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > 100_000:
            self._forget_expired(now, window)
        retry_after = max(1, math.ceil(started + window - now))
        return Verdict(allowed=count <= limit, retry_after=retry_after)

    async def undo(self, key: str) -> None:
        if key in self._windows:
            started, count = self._windows[key]
            self._windows[key] = (started, max(0, count - 1))

    def _forget_expired(self, now: float, window: int) -> None:
        for key, (started, _count) in list(self._windows.items()):
            if now - started >= window:
                del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()


class RedisRateLimiter:
    """Counts in Redis; in this process's memory while Redis cannot be reached."""

    def __init__(self, url: str, prefix: str) -> None:
        # Our own fallback replaces the client's retries: one quick try, then memory.
        self._redis: Redis = Redis.from_url(
            url,
            socket_connect_timeout=REDIS_TIMEOUT,
            socket_timeout=REDIS_TIMEOUT,
            retry=Retry(NoBackoff(), 0),
        )
        self._undo = self._redis.register_script(_UNDO)
        self._prefix = prefix
        self._fallback = MemoryRateLimiter()
        self._retry_at: float | None = None
        """Set while Redis is away: when the next request tries it again."""

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        if self._away():
            return await self._fallback.hit(key, limit, window)
        name = self._name(key)
        try:
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.incr(name)
                pipe.expire(name, window, nx=True)
                pipe.ttl(name)
                count, _set, ttl = await pipe.execute()
        except _REDIS_ERRORS as exc:
            self._went_away(exc)
            return await self._fallback.hit(key, limit, window)
        self._came_back()
        return Verdict(allowed=int(count) <= limit, retry_after=max(1, int(ttl)))

    async def undo(self, key: str) -> None:
        if self._away():
            await self._fallback.undo(key)
            return
        try:
            await self._undo(keys=[self._name(key)])
        except _REDIS_ERRORS as exc:
            self._went_away(exc)
            await self._fallback.undo(key)
            return
        self._came_back()

    def _name(self, key: str) -> str:
        return f"{self._prefix}ratelimit:{key}"

    def _away(self) -> bool:
        """True while Redis is known to be away and it is not yet time to try again."""
        return self._retry_at is not None and time.monotonic() < self._retry_at

    def _went_away(self, exc: BaseException) -> None:
        if self._retry_at is None:
            logger.warning(
                "Redis unreachable (%s): rate limits are counted per process until it is back",
                type(exc).__name__,
            )
        self._retry_at = time.monotonic() + REDIS_RETRY_SECONDS

    def _came_back(self) -> None:
        if self._retry_at is not None:
            logger.info("Redis reachable again: rate limits are shared again")
            self._retry_at = None

    async def close(self) -> None:
        await self._redis.aclose()
        await self._fallback.close()


def create_rate_limiter(redis_url: str | None, prefix: str) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, prefix)
    return MemoryRateLimiter()
