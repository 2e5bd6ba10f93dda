"""What a signed-in user manages themselves: where their sessions are, and their whole
account going away."""

from datetime import timedelta

import pytest
from sqlalchemy import ColumnElement, func, select

from py_core.accounts import (
    CreateApiToken,
    DeleteAccount,
    StartSession,
    authenticate_session,
    create_api_token,
    delete_account,
    list_sessions,
    start_session,
)
from py_core.chat import CreateThread, PostMessage, create_thread, post_message
from py_core.context import Context
from py_core.database import Base
from py_core.database.models import (
    ApiToken,
    Message,
    OutboxEvent,
    Thread,
    UsageRecord,
    User,
    UserSession,
)
from py_core.errors import InvalidInput, NotFound

from .conftest import PASSWORD


async def test_a_session_keeps_its_device_address_and_last_use(ctx: Context, user: User) -> None:
    started = await start_session(
        StartSession(user_id=user.id, user_agent="Firefox on Linux", address="192.0.2.7"), ctx
    )
    [listed] = await list_sessions(ctx.as_user(user))
    assert (listed.user_agent, listed.address) == ("Firefox on Linux", "192.0.2.7")

    # Within the minute nothing is written; after it, the time and the new address are.
    await authenticate_session(started.token, ctx, address="198.51.100.9")
    assert listed.address == "192.0.2.7"
    listed.last_seen_at -= timedelta(minutes=2)
    before = listed.last_seen_at
    await authenticate_session(started.token, ctx, address="198.51.100.9")
    assert listed.address == "198.51.100.9"
    assert listed.last_seen_at > before


async def test_sessions_are_listed_to_their_owner_only(
    ctx: Context, user: User, other_user: User
) -> None:
    mine = await start_session(StartSession(user_id=user.id), ctx)
    await start_session(StartSession(user_id=other_user.id), ctx)
    assert [s.id for s in await list_sessions(ctx.as_user(user))] == [mine.session.id]


async def _count(ctx: Context, model: type[Base], where: ColumnElement[bool]) -> int:
    return await ctx.db.scalar(select(func.count()).select_from(model).where(where)) or 0


async def test_delete_account_takes_everything_of_the_user_and_nothing_else(
    ctx: Context, user: User, other_user: User
) -> None:
    me, other = ctx.as_user(user), ctx.as_user(other_user)
    for who in (me, other):
        thread = await create_thread(CreateThread(title="mine"), who)
        await post_message(PostMessage(thread_id=thread.id, content="hello"), who)
        await create_api_token(CreateApiToken(name="script"), who)
        await start_session(StartSession(user_id=who.user_id), ctx)
        ctx.db.add(UsageRecord(user_id=who.user_id, model_id="m", input_tokens=3))
    await ctx.db.flush()
    [my_thread] = await ctx.db.scalars(select(Thread).where(Thread.owner_id == user.id))

    with pytest.raises(InvalidInput, match="password is wrong") as refused:
        await delete_account(DeleteAccount(password="not the password"), me)
    assert refused.value.field == "password"
    assert await ctx.db.get(User, user.id) is not None

    await delete_account(DeleteAccount(password=PASSWORD), me)
    ctx.db.expunge_all()  # read what the database holds, not what the session remembers
    assert await ctx.db.get(User, user.id) is None
    for model, column in (
        (Thread, Thread.owner_id),
        (UserSession, UserSession.user_id),
        (ApiToken, ApiToken.user_id),
        (UsageRecord, UsageRecord.user_id),
    ):
        assert await _count(ctx, model, column == user.id) == 0, model
        assert await _count(ctx, model, column == other_user.id) == 1, model
    assert await _count(ctx, Message, Message.thread_id == my_thread.id) == 0
    # Open event streams of the thread hear that it is gone, as with a thread deleted alone.
    deleted = await ctx.db.scalars(
        select(OutboxEvent.thread_id).where(OutboxEvent.type == "thread.deleted")
    )
    assert list(deleted) == [my_thread.id]
    with pytest.raises(NotFound):
        await delete_account(DeleteAccount(password=PASSWORD), me)
