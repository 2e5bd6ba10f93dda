"""Opaque keyset cursors: the sort key of the last row seen, base64url-encoded JSON.

Opaque so clients cannot build them and we can change them; validated so a forged or
truncated cursor is a clear `InvalidInput`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from py_core.errors import InvalidInput


def encode_cursor(*key: Any) -> str:
    raw = json.dumps(list(key), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, size: int) -> list[str]:
    """The `size` string parts of a cursor made by `encode_cursor`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidInput("The cursor is not valid.", field="cursor") from None
    if not isinstance(key, list) or len(key) != size or not all(_printable(k) for k in key):
        raise InvalidInput("The cursor is not valid.", field="cursor")
    return key


def _printable(part: object) -> bool:
    # Control characters never occur in ids or timestamps; NUL would even reach
    # PostgreSQL, which cannot store it, as a driver error.
    return isinstance(part, str) and part.isprintable()


def check_limit(limit: int, maximum: int = 100) -> int:
    if not 1 <= limit <= maximum:
        raise InvalidInput(f"The limit must be between 1 and {maximum}.", field="limit")
    return limit
