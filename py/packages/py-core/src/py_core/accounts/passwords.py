"""Password policy and hashing.

Hashing is argon2id through argon2-cffi (maintained; the reference binding). Its
default profile (RFC 9106 "low memory": t=3, m=64 MiB, p=4) is stronger than OWASP's
minimum for argon2id (t=2, m=19 MiB, p=1).
"""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from py_core.accounts._common_passwords import COMMON_PASSWORDS
from py_core.errors import InvalidInput

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128

_hasher = PasswordHasher()


def check_password_policy(password: str, *, email: str | None = None) -> None:
    """NIST 800-63B style: length, not a common password, not the email. No
    composition rules: they make passwords harder to remember, not to guess."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at most {MAX_PASSWORD_LENGTH} characters.", field="password"
        )
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS or (email and lowered == email.lower()):
        raise InvalidInput(
            "This password is too common; choose one that is harder to guess.", field="password"
        )


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@cache
def dummy_hash() -> str:
    """Verified against when the email is unknown, so a login takes as long either
    way and does not reveal which addresses have accounts."""
    return _hasher.hash("not a real password, only here for timing")
