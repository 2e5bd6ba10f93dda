"""Test databases, always built by running the migrations (never `create_all`)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from py_core.database.base import create_engine
from py_core.database.migrate import upgrade_async
from py_core.database.utils import uuid7
from py_core_testing import services

Backend = Literal["sqlite", "postgresql"]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


class TestDatabases:
    """Makes migrated databases for tests, cheaply.

    The migrations run once per backend and run into a template; each test then gets a
    copy (a copied SQLite file, or `CREATE DATABASE ... TEMPLATE` on PostgreSQL).
    Templates are built on first use, so a run that never touches PostgreSQL never
    needs it.
    """

    __test__ = False  # not a test class, despite the name

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._sqlite_template: Path | None = None
        self._postgres_template: str | None = None
        self._postgres_shared: str | None = None
        self._created: list[str] = []

    async def fresh(self, backend: Backend) -> str:
        """A new database at head that no other test sees."""
        if backend == "sqlite":
            return self.copy_sqlite(await self._sqlite())
        template = await self._postgres()
        return await self.create_postgres(template=make_url(template).database)

    async def shared(self, backend: Backend) -> str:
        """For tests that roll back: SQLite gets a copy, PostgreSQL one database per run."""
        if backend == "sqlite":
            return await self.fresh(backend)
        if self._postgres_shared is None:
            self._postgres_shared = await self.fresh(backend)
        return self._postgres_shared

    async def empty(self, backend: Backend) -> str:
        """A database with no tables, for tests of the migrations themselves."""
        if backend == "sqlite":
            return sqlite_url(self._directory / f"{uuid7().hex}.db")
        await self._require_postgres()
        return await self.create_postgres()

    def copy_sqlite(self, template: Path) -> str:
        target = self._directory / f"{uuid7().hex}.db"
        shutil.copyfile(template, target)
        return sqlite_url(target)

    async def create_postgres(self, *, template: str | None = None) -> str:
        name = f"pytest_{uuid7().hex}"
        clause = f' TEMPLATE "{template}"' if template else ""
        await _admin(f'CREATE DATABASE "{name}"{clause}')
        self._created.append(name)
        url = make_url(services.POSTGRES_URL).set(database=name)
        return url.render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        for name in reversed(self._created):
            await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.clear()

    async def _sqlite(self) -> Path:
        if self._sqlite_template is None:
            path = self._directory / "template.db"
            await upgrade_async(sqlite_url(path))
            self._sqlite_template = path
        return self._sqlite_template

    async def _postgres(self) -> str:
        if self._postgres_template is None:
            await self._require_postgres()
            url = await self.create_postgres()
            await upgrade_async(url)
            self._postgres_template = url
        return self._postgres_template

    async def _require_postgres(self) -> None:
        services.require("PostgreSQL", await services.postgres_error())


async def _admin(statement: str) -> None:
    engine = create_engine(services.POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with engine.connect() as conn:
            await conn.execute(text(statement))
    finally:
        await engine.dispose()
