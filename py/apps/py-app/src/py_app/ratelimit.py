"""Fixed-window rate limits on sign-in and sign-up, per account and per client address.

Counted in Redis when it is configured, so every instance shares one count; in memory
otherwise (one process, the embedded default).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis


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

    def _forget_expired(self, now: float, window: int) -> None:
        for key, (started, _count) in list(self._windows.items()):
            if now - started >= window:
                del self._windows[key]

    async def close(self) -> None:
        self._windows.clear()


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str) -> None:
        self._redis: Redis = Redis.from_url(url)
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window: int) -> Verdict:
        name = f"{self._prefix}ratelimit:{key}"
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.ttl(name)
            count, _set, ttl = await pipe.execute()
        return Verdict(allowed=int(count) <= limit, retry_after=max(1, int(ttl)))

    async def close(self) -> None:
        await self._redis.aclose()


def create_rate_limiter(redis_url: str | None, prefix: str) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, prefix)
    return MemoryRateLimiter()
