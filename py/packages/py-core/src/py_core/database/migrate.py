"""Run Alembic without an ini file, against any database URL.

The app (at start-up on SQLite), the tests (on their own databases) and `make migrate`
all build their configuration here, so there is one source of truth.

    python -m py_core.database.migrate upgrade [REV]
    python -m py_core.database.migrate downgrade [REV]      # default: one step
    python -m py_core.database.migrate revision "message"   # autogenerate
    python -m py_core.database.migrate check                # models == migrations?
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.autogenerate.api import AutogenContext
from alembic.config import Config

from py_core.database.base import create_engine, database_url, writer_engine
from py_core.database.utils import StringEnum, UTCDateTime

__all__ = ["alembic_config", "downgrade", "main", "upgrade", "upgrade_async"]

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
FILE_TEMPLATE = "%%(year)d_%%(month).2d_%%(day).2d_%%(hour).2d%%(minute).2d-%%(rev)s_%%(slug)s"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration aimed at `url` (default: `DATABASE_URL`)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", FILE_TEMPLATE)
    config.set_main_option("truncate_slug_length", "40")
    config.set_main_option("timezone", "UTC")
    config.set_main_option("sqlalchemy.url", (url or database_url()).replace("%", "%%"))
    return config


def render_item(type_: str, obj: Any, autogen_context: AutogenContext) -> str | Literal[False]:
    """Render our column types as the plain SQL types they store, so that
    migrations never import application code."""
    if type_ == "type" and isinstance(obj, StringEnum):
        return f"sa.String(length={obj.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


SEARCH_OBJECTS = ("messages_fts", "ix_messages_text_search")
"""Full-text search objects made by hand in the migrations (FTS5 tables and triggers,
a GIN expression index): the ORM metadata cannot describe them."""


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the hand-made search objects out of autogenerate's comparison."""
    return not (name and name.startswith(SEARCH_OBJECTS))


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "-1") -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """Upgrade from inside a running event loop (the app's start-up, async tests)."""
    config = alembic_config(url)
    engine = create_engine(url)
    try:
        # The writer: on SQLite it takes the write lock up front, so two processes
        # starting at once migrate one after the other.
        async with writer_engine(engine).begin() as connection:

            def _run(sync_connection: Any) -> None:
                config.attributes["connection"] = sync_connection
                command.upgrade(config, revision)

            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m py_core.database.migrate")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("upgrade").add_argument("revision", nargs="?", default="head")
    sub.add_parser("downgrade").add_argument("revision", nargs="?", default="-1")
    sub.add_parser("revision").add_argument("message")
    sub.add_parser("check")
    sub.add_parser("current")
    args = parser.parse_args(argv)
    config = alembic_config()
    if args.command == "upgrade":
        command.upgrade(config, args.revision)
    elif args.command == "downgrade":
        command.downgrade(config, args.revision)
    elif args.command == "revision":
        command.revision(config, message=args.message, autogenerate=True)
    elif args.command == "check":
        command.check(config)
    else:
        command.current(config, verbose=True)


if __name__ == "__main__":
    main()
