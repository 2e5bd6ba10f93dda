import pytest
from argon2 import Type
from argon2.low_level import Type as LowType
from argon2.profiles import RFC_9106_LOW_MEMORY

from py_core.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from py_core.errors import InvalidInput


def _parameters(encoded: str) -> dict[str, int]:
    # $argon2id$v=19$m=65536,t=3,p=4$salt$hash
    params = encoded.split("$")[3]
    return {k: int(v) for k, v in (p.split("=") for p in params.split(","))}


def test_hash_is_argon2id_at_or_above_owasp_parameters() -> None:
    encoded = hash_password("correct horse battery")
    assert encoded.startswith("$argon2id$v=19$")
    params = _parameters(encoded)
    # OWASP's argon2id minimum: m=19 MiB, t=2, p=1.
    assert params["m"] >= 19 * 1024
    assert params["t"] >= 2
    assert params["p"] >= 1
    assert RFC_9106_LOW_MEMORY.type is Type.ID is LowType.ID


def test_same_password_gets_a_different_salt() -> None:
    assert hash_password("correct horse battery") != hash_password("correct horse battery")


def test_verify() -> None:
    encoded = hash_password("correct horse battery")
    assert verify_password(encoded, "correct horse battery")
    assert not verify_password(encoded, "correct horse batterY")
    assert not verify_password("not a hash", "x")
    assert not needs_rehash(encoded)


def test_malformed_hash_does_not_raise() -> None:
    assert verify_password("$argon2id$garbage", "x") is False


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 8"),
        ("x" * (MAX_PASSWORD_LENGTH + 1), f"at most {MAX_PASSWORD_LENGTH}"),
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
