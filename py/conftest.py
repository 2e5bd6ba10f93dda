"""Fixtures shared by every test of the workspace.

Databases come from the migrations. `db_url` is a fresh migrated database per test
(a copied SQLite file, or a PostgreSQL database cloned from a migrated template), for
code that opens its own sessions. `db` is a session inside a transaction that is
rolled back after the test, for operations.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pydantic_ai.models
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from py_core.context import Context
from py_core.database.base import create_engine
from py_core_testing.databases import Backend, TestDatabases

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

BACKENDS: list[Backend] = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
async def test_databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[TestDatabases]:
    databases = TestDatabases(tmp_path_factory.mktemp("databases"))
    yield databases
    await databases.drop_all()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Backend:
    value: Backend = request.param
    return value


@pytest.fixture
async def db_url(backend: Backend, test_databases: TestDatabases) -> str:
    """A fresh database migrated to head, on the test's backend."""
    return await test_databases.fresh(backend)


@pytest.fixture
async def db(backend: Backend, test_databases: TestDatabases) -> AsyncIterator[AsyncSession]:
    """A session whose work is rolled back at the end of the test.

    Commits inside the test release SAVEPOINTs only, so the outer transaction
    still discards everything.
    """
    engine = create_engine(await test_databases.shared(backend))
    async with engine.connect() as connection:
        transaction = await connection.begin()
        session = AsyncSession(
            bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
        )
        try:
            yield session
        finally:
            await session.close()
            await transaction.rollback()
    await engine.dispose()


@pytest.fixture
def ctx(db: AsyncSession) -> Context:
    return Context(db=db, logger=logging.getLogger("test"))
