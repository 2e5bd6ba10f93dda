"""Whether a database failure means "busy now, try again soon".

Such a failure is load, not a fault: the boundary answers it with 503 and
`Retry-After`, never with a 500.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

__all__ = ["is_database_busy"]

# Primary result codes; an extended code (SQLITE_BUSY_SNAPSHOT, ...) keeps its primary
# code in the low byte.
_SQLITE_BUSY_CODES = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})


def is_database_busy(error: BaseException) -> bool:
    """True for a connection pool that had no connection to give within its timeout
    (any backend), and for SQLite's lock still held by another writer past the busy
    timeout ("database is locked")."""
    if isinstance(error, PoolTimeoutError):
        return True
    if isinstance(error, OperationalError) and isinstance(error.orig, sqlite3.Error):
        # Only errors raised by SQLite itself carry a code.
        code: int | None = getattr(error.orig, "sqlite_errorcode", None)
        return code is not None and code & 0xFF in _SQLITE_BUSY_CODES
    return False
