"""The migrations build the schema the models describe, and can be walked both ways."""

from datetime import UTC, datetime
from typing import cast

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
from py_core_testing.databases import Backend, TestDatabases

_WHEN = datetime(2026, 1, 1, tzinfo=UTC)
_Tree = tuple[list[tuple[str, str | None]], dict[str, str | None]]


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


async def test_the_message_tree_migration_keeps_every_thread_as_one_branch(
    empty_url: str,
) -> None:
    import asyncio

    from sqlalchemy import text

    await asyncio.to_thread(_walk, empty_url, ("upgrade", "7d2e4c1a9b30"))
    ids = [f"01900000-0000-7000-8000-00000000000{i}" for i in range(4)]

    def fill(conn: Connection) -> None:
        conn.execute(
            text(
                "INSERT INTO users (id, email, display_name, password_hash, role, status,"
                " created_at, updated_at)"
                " VALUES ('u', 'u@example.com', 'U', '-', 'user', 'active', :t, :t)"
            ),
            {"t": _WHEN},
        )
        for thread in ("a", "b"):
            conn.execute(
                text(
                    "INSERT INTO threads (id, owner_id, title, status, created_at, updated_at,"
                    " last_activity_at) VALUES (:id, 'u', 'T', 'active', :t, :t, :t)"
                ),
                {"id": thread, "t": _WHEN},
            )
        for i, message_id in enumerate(ids):
            conn.execute(
                text(
                    "INSERT INTO messages (id, thread_id, role, status, text, created_at,"
                    " cancel_requested) VALUES (:id, 'a', :role, 'complete', :text, :t, false)"
                ),
                {
                    "id": message_id,
                    "role": "user" if i % 2 == 0 else "assistant",
                    "text": f"m{i}",
                    "t": _WHEN,
                },
            )

    def tree(conn: Connection) -> _Tree:
        rows = conn.execute(text("SELECT id, parent_id FROM messages ORDER BY id"))
        leaves = conn.execute(text("SELECT id, active_leaf_id FROM threads ORDER BY id"))
        return [(r[0], r[1]) for r in rows], {r[0]: r[1] for r in leaves}

    def texts(conn: Connection) -> list[str]:
        return list(conn.execute(text("SELECT text FROM messages ORDER BY id")).scalars())

    await _run(empty_url, fill)
    await asyncio.to_thread(_walk, empty_url, ("upgrade", "b3a9e5f17c42"))
    rows, leaves = cast(_Tree, await _run(empty_url, tree))
    assert rows == [(ids[0], None), (ids[1], ids[0]), (ids[2], ids[1]), (ids[3], ids[2])]
    assert leaves == {"a": ids[3], "b": None}
    await asyncio.to_thread(_walk, empty_url, ("downgrade", "7d2e4c1a9b30"))
    assert await _run(empty_url, texts) == ["m0", "m1", "m2", "m3"]
