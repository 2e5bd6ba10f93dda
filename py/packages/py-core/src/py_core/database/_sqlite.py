"""SQLite: reads that never take the write lock, and one writer at a time.

A SQLite file has one write lock. In WAL mode readers never wait for it, so only the
transactions that write should take it, and they should take it up front: a deferred
transaction that reads and then writes cannot wait for the lock once another writer
has committed since its read (SQLite answers "database is locked" at once).

So a file gets two engines. The reader's transactions are a plain (deferred) `BEGIN`;
the writer has one connection, whose transactions are `BEGIN IMMEDIATE`, so writers
of this process queue on its pool (without a thread each spinning on the busy
timeout) and only another process can make one wait on SQLite's lock. A session from
`create_session_factory` reads on the reader until its first write (a flush, an
INSERT/UPDATE/DELETE, a SELECT ... FOR UPDATE) and from then on uses the writer until
its transaction ends, so it reads what it wrote and a read-modify-write that locks
its read runs whole on the writer.
"""

from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.selectable import SelectBase

DEFAULT_BUSY_TIMEOUT_SECONDS = 5.0
"""How long a writer waits for the file's write lock, and for its turn on the writer,
before giving up with "busy". `?timeout=SECONDS` in the URL changes it."""

_POOL_OPTIONS = ("poolclass", "pool_size", "max_overflow", "pool_timeout")

# Reader engine (sync) -> its writer. Kept beside the engine rather than in a subclass:
# an AsyncEngine is a thin proxy that SQLAlchemy may rebuild from the sync engine.
_writers: weakref.WeakKeyDictionary[Engine, AsyncEngine] = weakref.WeakKeyDictionary()


def create_sqlite_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """The reader engine of a SQLite database; its writer is `writer_of(engine)`."""
    parsed = make_url(url)
    database = parsed.database
    in_memory = not database or database == ":memory:" or parsed.query.get("mode") == "memory"
    if not in_memory and database:
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    busy_timeout = float(str(parsed.query.get("timeout", DEFAULT_BUSY_TIMEOUT_SECONDS)))
    connect_args = {"timeout": busy_timeout, **kwargs.pop("connect_args", {})}
    reader = create_async_engine(url, connect_args=connect_args, **kwargs)
    _configure(reader.sync_engine, busy_timeout=busy_timeout, begin="BEGIN")
    if in_memory:
        # One connection holds the whole database: there is no second engine to route
        # to, and no other connection to wait for.
        return reader
    writer_options = {k: v for k, v in kwargs.items() if k not in _POOL_OPTIONS}
    writer = create_async_engine(
        url,
        connect_args=connect_args,
        pool_size=1,
        max_overflow=0,
        pool_timeout=busy_timeout,
        **writer_options,
    )
    _configure(writer.sync_engine, busy_timeout=busy_timeout, begin="BEGIN IMMEDIATE")
    _writers[reader.sync_engine] = writer

    @event.listens_for(reader.sync_engine, "engine_disposed")
    def _dispose_writer(_engine: Engine) -> None:
        # Called inside AsyncEngine.dispose()'s greenlet, so the sync call may await.
        writer.sync_engine.dispose()

    return reader


def writer_of(engine: AsyncEngine) -> AsyncEngine | None:
    """The writer engine of a SQLite reader engine; None for any other engine."""
    return _writers.get(engine.sync_engine)


def _configure(engine: Engine, *, busy_timeout: float, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; take control so that
        # SQLAlchemy's transactions (and SAVEPOINTs in tests) behave as documented.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql(begin)


class RoutingSession(Session):
    """A session that reads on the reader engine and writes on the writer.

    It moves to the writer at its first write and stays there until the transaction
    ends: later reads then see the transaction's own writes.
    """

    def __init__(self, *, writer: Engine, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._sqlite_writer = writer
        self._sqlite_writing = False

    def get_bind(
        self,
        mapper: Any = None,
        *,
        clause: ClauseElement | None = None,
        bind: Any = None,
        **kwargs: Any,
    ) -> Engine | Connection:
        if bind is not None:
            return bind  # type: ignore[no-any-return]
        if not self._sqlite_writing and (self._flushing or _may_write(clause)):
            self._sqlite_writing = True
        if self._sqlite_writing:
            return self._sqlite_writer
        return super().get_bind(mapper, clause=clause, **kwargs)


def _may_write(clause: ClauseElement | None) -> bool:
    if clause is None:
        # `session.get_bind()` to learn the dialect, `session.connection()`: no
        # statement to judge, so no reason to queue for the writer.
        return False
    if isinstance(clause, SelectBase):
        # A locking read is the first step of a read-modify-write; SQLite has no
        # FOR UPDATE, holding the write lock from the read on is what serializes it.
        return getattr(clause, "_for_update_arg", None) is not None
    return True  # INSERT, UPDATE, DELETE, DDL, text(): assume it writes


@event.listens_for(RoutingSession, "after_transaction_end")
def _back_to_reader(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None and isinstance(session, RoutingSession):
        session._sqlite_writing = False
