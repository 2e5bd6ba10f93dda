"""Whether a database failure means "busy now, try again soon", or "out of reach".

A busy database is load, not a fault: the boundary answers it with 503 and
`Retry-After`, never with a 500. An unreachable one (refused, or a connection lost
mid-way) is an outage: work that must not be lost waits for it to end.
"""

from __future__ import annotations

import sqlite3

import asyncpg
from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

__all__ = ["is_database_busy", "is_database_unreachable"]

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


def is_database_unreachable(error: BaseException) -> bool:
    """True when the database could not be reached or the connection was lost: refused
    or timed-out connects (raised as they are, e.g. `ConnectionRefusedError`), a server
    starting up or shutting down, and a connection closed in the middle of a statement
    (SQLAlchemy marks it `connection_invalidated`)."""
    if isinstance(error, DBAPIError):
        orig = error.orig
        return error.connection_invalidated or (orig is not None and is_database_unreachable(orig))
    return isinstance(
        error,
        (
            OSError,
            TimeoutError,
            DisconnectionError,
            asyncpg.PostgresConnectionError,
            asyncpg.ConnectionDoesNotExistError,
            # Starting up, shutting down, or a connection terminated by the server.
            asyncpg.OperatorInterventionError,
        ),
    )
