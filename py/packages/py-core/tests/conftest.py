"""Accounts for py-core's tests of what users own (the `ctx` and `db` fixtures are the
workspace's, in py/conftest.py)."""

import pytest

from py_core.context import Context
from py_core.database.models import User


async def _user(ctx: Context, name: str) -> User:
    # Made directly: these tests are about what users own, not about password hashing.
    user = User(email=f"{name}@example.com", display_name=name.title(), password_hash="-")
    ctx.db.add(user)
    await ctx.db.flush()
    return user


@pytest.fixture
async def alice(ctx: Context) -> User:
    return await _user(ctx, "alice")


@pytest.fixture
async def bob(ctx: Context) -> User:
    return await _user(ctx, "bob")
