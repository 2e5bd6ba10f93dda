"""Password hashing with argon2id (argon2-cffi: maintained, the reference binding).

argon2-cffi's default profile (RFC 9106 "low memory": t=3, m=64 MiB, p=4) is stronger
than OWASP's minimum for argon2id (t=2, m=19 MiB, p=1).
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


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
