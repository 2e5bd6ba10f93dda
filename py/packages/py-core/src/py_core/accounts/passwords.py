"""Password policy and hashing.

Hashing is argon2id through argon2-cffi (maintained; the reference binding). Its
default profile (RFC 9106 "low memory": t=3, m=64 MiB, p=4) is stronger than OWASP's
minimum for argon2id (t=2, m=19 MiB, p=1).

That costs about 0.1 s of CPU (on several cores) and 64 MiB per hash or check, so it
never runs on the event loop but on a dedicated pool of threads (the binding releases
the GIL), at most `PASSWORD_HASHING_CONCURRENCY` at once. A caller waits for a turn
before anything is handed to the pool, so a burst of sign-ins queues without holding
memory, and a request abandoned while it waits costs nothing.
"""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from functools import cache
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from py_core.accounts._common_passwords import COMMON_PASSWORDS
from py_core.errors import InvalidInput
from py_core.limits import MAX_PASSWORD, MIN_PASSWORD


def _usable_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):  # Linux: the CPUs this process may run on
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


PASSWORD_HASHING_CONCURRENCY = _usable_cpus()
"""Hashes and checks running at once in a process: one per CPU it may use."""

_T = TypeVar("_T")
_hasher = PasswordHasher()
_executor = ThreadPoolExecutor(
    max_workers=PASSWORD_HASHING_CONCURRENCY, thread_name_prefix="password-hashing"
)


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """NIST 800-63B style: length, not a common password, not the email. No
    composition rules: they make passwords harder to remember, not to guess."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD:
        raise InvalidInput(
            f"The password must be at most {MAX_PASSWORD} characters.", field="password"
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered == email.lower()):
        raise InvalidInput(
            "This password is too common; choose one that is harder to guess.", field="password"
        )


class PasswordTurn:
    """A turn to run argon2, held inside `async with password_turn() as turn:`."""

    async def hash(self, password: str) -> str:
        return await _in_the_pool(_hasher.hash, password)

    async def verify(self, password_hash: str, password: str) -> bool:
        return await _in_the_pool(_verify, password_hash, password)

    async def verify_no_password(self, password: str) -> None:
        """Spend the time of a check when the email is unknown, so a sign-in takes as
        long either way and does not reveal which addresses have accounts."""
        await _in_the_pool(_verify_against_dummy, password)


@asynccontextmanager
async def password_turn() -> AsyncIterator[PasswordTurn]:
    """Wait for one of the `PASSWORD_HASHING_CONCURRENCY` turns.

    Take it before reading what is to be checked (the user's row), so that callers
    waiting for a turn hold no database connection either.
    """
    async with _turns_of_this_loop():
        yield PasswordTurn()


async def hash_password(password: str) -> str:
    async with password_turn() as turn:
        return await turn.hash(password)


async def verify_password(password_hash: str, password: str) -> bool:
    async with password_turn() as turn:
        return await turn.verify(password_hash, password)


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _verify_against_dummy(password: str) -> bool:
    return _verify(_dummy_hash(), password)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("not a real password, only here for timing")


# One semaphore per event loop: an asyncio.Semaphore belongs to the loop it first
# waited on, and tests and scripts may run several loops one after the other.
_turns: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _turns_of_this_loop() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    turns = _turns.get(loop)
    if turns is None:
        turns = _turns[loop] = asyncio.Semaphore(PASSWORD_HASHING_CONCURRENCY)
    return turns


async def _in_the_pool(function: Callable[..., _T], *args: str) -> _T:
    # The pool has as many threads as there are turns: it bounds the work even when a
    # cancelled caller gave its turn back while its job still runs.
    return await asyncio.get_running_loop().run_in_executor(_executor, function, *args)
