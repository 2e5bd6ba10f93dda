"""`python -m py_app.admin EMAIL` (what `make admin EMAIL=...` calls): make an
administrator from the command line, the only way besides `ADMIN_EMAILS`.

An existing account is promoted and keeps its password; otherwise an account is created
and its one-time password printed (it must be changed at the first sign-in). Uses
`DATABASE_URL` like the app; a SQLite database is migrated first, as `make run` does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys

from py_app.settings import Settings
from py_core.admin import MadeAdmin, MakeAdmin, make_admin
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.base import is_sqlite
from py_core.database.migrate import upgrade_async
from py_core.errors import DomainError


async def run(email: str, display_name: str | None, settings: Settings) -> MadeAdmin:
    if is_sqlite(settings.database_url):
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            ctx = Context(db=session, logger=logging.getLogger("py_core"))
            return await make_admin(MakeAdmin(email=email, display_name=display_name), ctx)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="make admin", description="Make EMAIL an administrator of py-app."
    )
    parser.add_argument("email", help="the account's email; created when there is none")
    parser.add_argument("--name", help="the display name of a created account")
    args = parser.parse_args(argv)
    try:
        made = asyncio.run(run(args.email, args.name, Settings()))
    except DomainError as exc:
        sys.exit(f"py-app: {exc.message}")
    if made.password is None:
        print(f"{made.user.email} is an administrator now (their password is unchanged).")
    else:
        print(f"Created the administrator {made.user.email}.")
        print(f"One-time password: {made.password}")
        print("It is shown only now; it must be changed at the first sign-in.")


if __name__ == "__main__":
    main()
