"""The migrations build the schema the models describe, and can be walked both ways."""

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from py_core.database import Base
from py_core.database import models as _models  # noqa: F401
from py_core.database.base import create_engine
from py_core.database.migrate import alembic_config, include_name, render_item
from py_core.testing.databases import Backend, TestDatabases


@pytest.fixture
async def empty_url(backend: Backend, test_databases: TestDatabases) -> str:
    return await test_databases.empty(backend)


async def _run(url: str, fn: object) -> object:
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            return await conn.run_sync(fn)  # type: ignore[arg-type]
    finally:
        await engine.dispose()


def _tables(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _diff(conn: Connection) -> list[object]:
    context = MigrationContext.configure(
        conn, opts={"compare_type": True, "render_item": render_item, "include_name": include_name}
    )
    return list(compare_metadata(context, Base.metadata))


def _walk(url: str, *steps: tuple[str, str]) -> None:
    config = alembic_config(url)
    for direction, revision in steps:
        getattr(command, direction)(config, revision)


async def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    import asyncio

    await asyncio.to_thread(_walk, empty_url, ("upgrade", "head"))
    assert _tables_expected() <= await _run(empty_url, _tables)  # type: ignore[operator]
    await asyncio.to_thread(_walk, empty_url, ("downgrade", "base"))
    assert await _run(empty_url, _tables) == set()
    await asyncio.to_thread(_walk, empty_url, ("upgrade", "head"))
    assert _tables_expected() <= await _run(empty_url, _tables)  # type: ignore[operator]


async def test_models_and_migrations_agree(db_url: str) -> None:
    assert await _run(db_url, _diff) == []


def _tables_expected() -> set[str]:
    return set(Base.metadata.tables)
