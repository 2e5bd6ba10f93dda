"""The declarative base, engines and sessions for SQLite and PostgreSQL.

The session is committed at the boundary only: `get_session()` for a request and
`session_scope()` for a background job. Operations flush and never commit.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import MetaData
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

from py_core.database._sqlite import RoutingSession, create_sqlite_engine, writer_of

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Base",
    "create_engine",
    "create_session_factory",
    "database_url",
    "get_session",
    "session_scope",
    "writer_engine",
]

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/py-app.db"
"""The embedded default: a SQLite file under `./data`, created on first use."""

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow `NAMING_CONVENTION`."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def database_url() -> str:
    """`DATABASE_URL` from the environment, or the embedded SQLite default."""
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


POSTGRES_POOL_SIZE = 10
"""PostgreSQL connections a process keeps open."""
POSTGRES_MAX_OVERFLOW = 30
"""More it may open in a burst (so 40 at most): hundreds of replies streaming at once
each write a few short transactions (start, end, title) beside the requests, and with
SQLAlchemy's default of 15 a burst of 200 turns queued for connections for seconds
(posts answered 503 after `pool_timeout`, first deltas held behind the event stream's
credential check). Two processes at the most stay within PostgreSQL's default
`max_connections` of 100."""


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine tuned for its backend (SQLite file or PostgreSQL).

    On a SQLite file this is the reader engine, with a writer beside it (see
    `py_core.database._sqlite`); `dispose()` closes both. Sessions from
    `create_session_factory` use each for what it is for.
    """
    if is_sqlite(url):
        return create_sqlite_engine(url, **kwargs)
    kwargs.setdefault("pool_pre_ping", True)
    if "poolclass" not in kwargs:  # a pool of another kind takes no sizes
        kwargs.setdefault("pool_size", POSTGRES_POOL_SIZE)
        kwargs.setdefault("max_overflow", POSTGRES_MAX_OVERFLOW)
    return create_async_engine(url, **kwargs)


def writer_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine to write through outside a session (migrations, bulk loads): the
    SQLite writer, or the engine itself on PostgreSQL."""
    return writer_of(engine) or engine


def create_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit. On SQLite they read on
    the reader engine and move to the writer at their first write."""
    writer = writer_of(engine)
    if writer is None:
        return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
    return async_sessionmaker(
        engine,
        expire_on_commit=False,
        autoflush=False,
        sync_session_class=RoutingSession,
        writer=writer.sync_engine,
    )


async def get_session(
    factory: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """Yield a session for one request: committed on success, rolled back on error.

    Wrap it in a FastAPI dependency that supplies the app's factory.
    """
    async with session_scope(factory) as session:
        yield session


@asynccontextmanager
async def session_scope(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """A unit of work for a background job: commit on success, roll back on error."""
    async with factory() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise
