"""Attempts that guess a secret, counted so that guessing is slow and the owner is
never locked out: sign-up per address, sign-in failures, a wrong current password."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from py_app.errors import ApiError
from py_app.ratelimit import RateLimiter, Verdict
from py_app.runtime import Runtime


async def limit_attempts(runtime: Runtime, key: str, limit: int) -> None:
    """Count one attempt on `key`; 429 once its window is used up."""
    verdict = await runtime.rate_limiter.hit(key, limit, runtime.settings.rate_limit_window_seconds)
    if not verdict.allowed:
        raise _too_many(verdict)


@asynccontextmanager
async def failures_counted(
    runtime: Runtime, limits: dict[str, int], *, failed: Callable[[BaseException], bool]
) -> AsyncIterator[None]:
    """Only failures count (an error for which `failed` is true): so no one can lock an
    owner out from elsewhere, and a correct secret from a key that has not failed is
    never refused.

    Each attempt takes its place first and gives it back unless it failed, so
    concurrent guesses cannot all slip under the limit before any of them is counted.
    """
    limiter = runtime.rate_limiter
    window = runtime.settings.rate_limit_window_seconds
    taken: list[str] = []
    try:
        for key, limit in limits.items():
            taken.append(key)
            verdict = await limiter.hit(key, limit, window)
            if not verdict.allowed:
                raise _too_many(verdict)
        yield
    except BaseException as error:
        if not failed(error):
            await _give_back(limiter, taken)
        raise
    await _give_back(limiter, taken)


async def _give_back(limiter: RateLimiter, keys: list[str]) -> None:
    for key in keys:
        await limiter.undo(key)


def _too_many(verdict: Verdict) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"Too many attempts; try again in {verdict.retry_after} seconds.",
        headers={"Retry-After": str(verdict.retry_after)},
    )
