"""The operations apply `py_core.limits`: a value at a limit is stored whole (the
column holds it on both databases), one over is `InvalidInput` on the field."""

from collections.abc import Awaitable, Callable

import pytest

from py_core import limits
from py_core.accounts import CreateApiToken, CreateUser, create_api_token, create_user
from py_core.chat import (
    CreateThread,
    PostMessage,
    SearchThreads,
    UpdateThread,
    create_thread,
    post_message,
    search_threads,
    update_thread,
)
from py_core.context import Context
from py_core.database.models import User
from py_core.database.utils import uuid7_str
from py_core.errors import InvalidInput

Check = Callable[[Context, str], Awaitable[object]]


async def _user(ctx: Context) -> Context:
    user = User(email=f"{uuid7_str()}@example.com", display_name="Ada", password_hash="-")
    ctx.db.add(user)
    await ctx.db.flush()
    return ctx.as_user(user)


async def _title(ctx: Context, value: str) -> object:
    me = await _user(ctx)
    thread = await create_thread(CreateThread(title=value), me)
    await ctx.db.refresh(thread)  # what the column holds
    assert thread.title == value
    return await update_thread(UpdateThread(thread_id=thread.id, title=value), me)


async def _instructions(ctx: Context, value: str) -> object:
    return await create_thread(CreateThread(instructions=value), await _user(ctx))


async def _content(ctx: Context, value: str) -> object:
    me = await _user(ctx)
    thread = await create_thread(CreateThread(), me)
    return await post_message(PostMessage(thread_id=thread.id, content=value), me)


async def _token_name(ctx: Context, value: str) -> object:
    created = await create_api_token(CreateApiToken(name=value), await _user(ctx))
    await ctx.db.refresh(created.token)
    assert created.token.name == value
    return created


async def _display_name(ctx: Context, value: str) -> object:
    user = await create_user(
        CreateUser(email="bea@example.com", password="a long passphrase", display_name=value), ctx
    )
    await ctx.db.refresh(user)
    assert user.display_name == value
    return user


async def _query(ctx: Context, value: str) -> object:
    return await search_threads(SearchThreads(query=value), await _user(ctx))


@pytest.mark.parametrize(
    ("check", "limit", "field"),
    [
        (_title, limits.MAX_TITLE, "title"),
        (_instructions, limits.MAX_INSTRUCTIONS, "instructions"),
        (_content, limits.MAX_CONTENT, "content"),
        (_token_name, limits.MAX_TOKEN_NAME, "name"),
        (_display_name, limits.MAX_DISPLAY_NAME, "display_name"),
        (_query, limits.MAX_QUERY, "q"),
    ],
)
async def test_at_the_limit_is_kept_and_one_over_is_refused(
    ctx: Context, check: Check, limit: int, field: str
) -> None:
    await check(ctx, "x" * limit)
    with pytest.raises(InvalidInput) as refused:
        await check(ctx, "y" * (limit + 1))
    assert refused.value.field == field
