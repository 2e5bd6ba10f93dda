import asyncio
import threading

import pytest
from argon2 import Type
from argon2.low_level import Type as LowType
from argon2.profiles import RFC_9106_LOW_MEMORY

from py_core.accounts.passwords import (
    PASSWORD_HASHING_CONCURRENCY,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from py_core.errors import InvalidInput
from py_core.limits import MAX_PASSWORD


def _parameters(encoded: str) -> dict[str, int]:
    # $argon2id$v=19$m=65536,t=3,p=4$salt$hash
    params = encoded.split("$")[3]
    return {k: int(v) for k, v in (p.split("=") for p in params.split(","))}


async def test_hash_is_argon2id_at_or_above_owasp_parameters() -> None:
    encoded = await hash_password("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$")
    params = _parameters(encoded)
    # OWASP's argon2id minimum: m=19 MiB, t=2, p=1.
    assert params["m"] >= 19 * 1024
    assert params["t"] >= 2
    assert params["p"] >= 1
    assert RFC_9106_LOW_MEMORY.type is Type.ID is LowType.ID


async def test_same_password_gets_a_different_salt() -> None:
    first = await hash_password("correct horse battery")
    assert first != await hash_password("correct horse battery")


async def test_verify() -> None:
    encoded = await hash_password("correct horse battery")
    assert await verify_password(encoded, "correct horse battery")
    assert not await verify_password(encoded, "correct horse batterY")
    assert not await verify_password("not a hash", "x")
    assert not needs_rehash(encoded)


async def test_hashing_leaves_the_event_loop_free() -> None:
    hashing = asyncio.create_task(hash_password("correct horse battery"))
    await asyncio.sleep(0)  # the task has started: on the loop, it would have finished
    await asyncio.sleep(0)
    assert not hashing.done()
    assert (await hashing).startswith("$argon2id$")


async def test_a_burst_hashes_a_bounded_number_at_once() -> None:
    burst = asyncio.gather(*(hash_password(f"password {i}") for i in range(8)))
    await asyncio.sleep(0)
    hashing = [t for t in threading.enumerate() if t.name.startswith("password-hashing")]
    assert 1 <= len(hashing) <= PASSWORD_HASHING_CONCURRENCY
    assert len(set(await burst)) == 8


async def test_malformed_hash_does_not_raise() -> None:
    assert await verify_password("$argon2id$garbage", "x") is False


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        ("x" * (MAX_PASSWORD + 1), f"at most {MAX_PASSWORD}"),
        ("password123", "too common"),
        ("QWERTYUIOP", "too common"),
        ("ada@example.com", "too common"),
    ],
)
def test_policy_refuses(password: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        check_password_policy(password, email="ada@example.com")
    assert info.value.field == "password"


@pytest.mark.parametrize("password", ["eight ch", "a" * 64, "ünïcødé pässwörd", "x" * 128])
def test_policy_accepts(password: str) -> None:
    check_password_policy(password, email="ada@example.com")
