"""SQLite: reads never take the write lock; writes go one at a time through the writer.

Each test holds the file's write lock from a plain `sqlite3` connection where it needs
another writer, as a second process would.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import QueuePool

from py_core.database import (
    create_engine,
    create_session_factory,
    is_database_busy,
    session_scope,
    writer_engine,
)
from py_core.database.models import User
from py_core_testing.databases import TestDatabases

BUSY_TIMEOUT = 0.2


@pytest.fixture
async def url(test_databases: TestDatabases) -> str:
    return f"{await test_databases.fresh('sqlite')}?timeout={BUSY_TIMEOUT}"


@pytest.fixture
async def engine(url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(url)
    yield engine
    await engine.dispose()


@pytest.fixture
def factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(engine)


@pytest.fixture
async def user_id(factory: async_sessionmaker[AsyncSession]) -> str:
    async with session_scope(factory) as db:
        user = User(email="ada@example.com", display_name="", password_hash="-")
        db.add(user)
    return user.id


@contextmanager
def write_lock_held(url: str) -> Iterator[sqlite3.Connection]:
    """Another connection holds the write lock, as another process's writer would."""
    other = sqlite3.connect(str(make_url(url).database), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        yield other
        other.execute("ROLLBACK")
    finally:
        other.close()


async def test_a_read_does_not_wait_for_the_write_lock(
    url: str, factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    with write_lock_held(url):
        async with session_scope(factory) as db:
            user = await db.get(User, user_id)
            assert user is not None
            # Learning the dialect is not a write either.
            assert db.get_bind().dialect.name == "sqlite"
            assert (await db.scalars(select(User.email))).all() == ["ada@example.com"]


async def _write(factory: async_sessionmaker[AsyncSession], user_id: str, write: str) -> None:
    async with session_scope(factory) as db:
        if write == "flush":
            db.add(User(email="grace@example.com", display_name="G", password_hash="-"))
            await db.flush()
        elif write == "update":
            await db.execute(update(User).values(display_name="x"))
        else:
            await db.get(User, user_id, with_for_update=True)


@pytest.mark.parametrize("write", ["flush", "update", "locking read"])
async def test_a_write_past_the_busy_timeout_is_busy(
    url: str, factory: async_sessionmaker[AsyncSession], user_id: str, write: str
) -> None:
    with write_lock_held(url), pytest.raises(OperationalError) as info:
        await _write(factory, user_id, write)
    assert is_database_busy(info.value), info.value


async def test_the_writer_is_left_when_the_transaction_ends(
    url: str, factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    async with factory() as db:
        user = await db.get(User, user_id, with_for_update=True)
        assert user is not None
        user.display_name = "Ada"
        await db.commit()
        # The next transaction of the same session reads on the reader again.
        with write_lock_held(url):
            assert await db.scalar(select(User.display_name)) == "Ada"


async def test_a_transaction_reads_its_own_writes(
    factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    async with session_scope(factory) as db:
        await db.execute(update(User).values(display_name="Ada"))
        assert await db.scalar(select(User.display_name)) == "Ada"


async def test_read_modify_writes_run_one_after_the_other(
    factory: async_sessionmaker[AsyncSession], user_id: str
) -> None:
    async def append(letter: str) -> None:
        async with session_scope(factory) as db:
            user = await db.get(User, user_id, with_for_update=True)
            assert user is not None
            await asyncio.sleep(0)  # let the others try to get in between
            user.display_name += letter

    letters = [chr(ord("a") + i) for i in range(20)]
    await asyncio.gather(*(append(letter) for letter in letters))
    async with session_scope(factory) as db:
        name = await db.scalar(select(User.display_name))
    assert name is not None
    assert sorted(name) == letters  # no update lost, none failed


async def test_dispose_closes_the_writer_too(
    factory: async_sessionmaker[AsyncSession], engine: AsyncEngine, user_id: str
) -> None:
    async with session_scope(factory) as db:
        await db.execute(update(User).values(display_name="Ada"))
    writer = writer_engine(engine)
    assert writer is not engine
    pool = writer.sync_engine.pool
    assert isinstance(pool, QueuePool)
    assert pool.checkedin() == 1
    await engine.dispose()
    assert pool.checkedin() == 0
