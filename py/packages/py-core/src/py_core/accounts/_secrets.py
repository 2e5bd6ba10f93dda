"""Random secrets and their stored form.

Secrets carry 256 random bits, so a fast hash is enough to make a stolen table useless
(there is nothing to brute-force); argon2 is for passwords, which are guessable.
"""

from __future__ import annotations

import hashlib
import secrets


def new_secret(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
