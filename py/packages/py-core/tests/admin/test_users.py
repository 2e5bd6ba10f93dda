"""What an administrator does to accounts, and that a user can do none of it."""

from collections.abc import Awaitable, Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute

from py_core.accounts import (
    CheckCredentials,
    CreateApiToken,
    StartSession,
    authenticate_api_token,
    authenticate_session,
    check_credentials,
    create_api_token,
    start_session,
)
from py_core.admin import (
    DeleteUser,
    GetUserUsage,
    ListAudit,
    ListUsers,
    ResetPassword,
    SetRole,
    SetStatus,
    delete_user,
    get_user_overview,
    get_user_usage,
    list_audit,
    list_users,
    reset_password,
    set_role,
    set_status,
)
from py_core.chat import CreateThread, PostMessage, create_thread, post_message
from py_core.context import Context
from py_core.database.models import (
    ApiToken,
    AuditAction,
    Message,
    OutboxEvent,
    Thread,
    UsageRecord,
    User,
    UserRole,
    UserSession,
    UserStatus,
)
from py_core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

from .conftest import PASSWORD


async def test_a_user_may_do_none_of_it(ctx: Context, user: User, other_user: User) -> None:
    me = ctx.as_user(user)
    attempts: list[Callable[[], Awaitable[object]]] = [
        lambda: list_users(ListUsers(), me),
        lambda: get_user_overview(other_user.id, me),
        lambda: get_user_usage(GetUserUsage(user_id=other_user.id), me),
        lambda: set_role(SetRole(user_id=user.id, role=UserRole.ADMIN), me),
        lambda: set_status(SetStatus(user_id=other_user.id, status=UserStatus.DISABLED), me),
        lambda: delete_user(DeleteUser(user_id=other_user.id), me),
        lambda: reset_password(ResetPassword(user_id=other_user.id), me),
        lambda: list_audit(ListAudit(), me),
    ]
    for attempt in attempts:
        with pytest.raises(Forbidden):
            await attempt()
    with pytest.raises(Unauthenticated):
        await list_users(ListUsers(), ctx)
    assert user.role is UserRole.USER
    assert await ctx.db.get(User, other_user.id) is not None


async def test_list_searches_and_pages(as_admin: Context, user: User, other_user: User) -> None:
    first = await list_users(ListUsers(limit=2), as_admin)
    assert [u.email for u in first.items] == ["grace@example.com", "ada@example.com"]
    assert first.next_cursor is not None
    rest = await list_users(ListUsers(limit=2, cursor=first.next_cursor), as_admin)
    assert [u.email for u in rest.items] == ["root@example.com"]
    assert rest.next_cursor is None

    found = await list_users(ListUsers(query="GRA"), as_admin)  # the name or the email, any case
    assert [u.id for u in found.items] == [other_user.id]
    # A wildcard typed in the box is looked for, not obeyed.
    assert (await list_users(ListUsers(query="%"), as_admin)).items == []
    with pytest.raises(InvalidInput):
        await list_users(ListUsers(cursor="not a cursor"), as_admin)


async def test_overview_and_usage_are_the_users(
    as_admin: Context, ctx: Context, user: User
) -> None:
    ctx.db.add(UsageRecord(user_id=user.id, model_id="m", input_tokens=5, output_tokens=7))
    await create_thread(CreateThread(title="x"), ctx.as_user(user))
    await start_session(StartSession(user_id=user.id), ctx)
    await ctx.db.flush()
    overview = await get_user_overview(user.id, as_admin)
    assert (overview.usage.input_tokens, overview.usage.output_tokens) == (5, 7)
    assert (overview.threads, overview.sessions, overview.api_tokens) == (1, 1, 0)
    usage = await get_user_usage(GetUserUsage(user_id=user.id), as_admin)
    assert usage.output_tokens == 7
    with pytest.raises(NotFound):
        await get_user_overview("0190b1e2-0000-7000-8000-000000000000", as_admin)


async def test_role_changes_are_audited(as_admin: Context, admin: User, user: User) -> None:
    await set_role(SetRole(user_id=user.id, role=UserRole.ADMIN), as_admin)
    assert user.role is UserRole.ADMIN
    await set_role(SetRole(user_id=user.id, role=UserRole.ADMIN), as_admin)  # no change
    [entry] = (await list_audit(ListAudit(), as_admin)).items
    assert (entry.actor_id, entry.actor_name, entry.action) == (
        admin.id,
        "root@example.com",
        AuditAction.ROLE_CHANGED,
    )
    assert (entry.target_id, entry.target_name) == (user.id, "ada@example.com")
    assert entry.details == {"from": "user", "to": "admin"}
    # The new administrator may act, and the first one cannot demote themselves.
    await set_role(SetRole(user_id=admin.id, role=UserRole.USER), as_admin.as_user(user))
    assert admin.role is UserRole.USER


async def test_an_admin_cannot_lock_themselves_out(as_admin: Context, admin: User) -> None:
    for attempt in (
        set_role(SetRole(user_id=admin.id, role=UserRole.USER), as_admin),
        set_status(SetStatus(user_id=admin.id, status=UserStatus.DISABLED), as_admin),
        delete_user(DeleteUser(user_id=admin.id), as_admin),
        reset_password(ResetPassword(user_id=admin.id), as_admin),
    ):
        with pytest.raises(Conflict):
            await attempt
    assert (admin.role, admin.status) == (UserRole.ADMIN, UserStatus.ACTIVE)


async def test_disabling_ends_sessions_and_tokens_at_once_and_keeps_data(
    as_admin: Context, ctx: Context, user: User
) -> None:
    session = await start_session(StartSession(user_id=user.id), ctx)
    token = await create_api_token(CreateApiToken(name="script"), ctx.as_user(user))
    await create_thread(CreateThread(title="kept"), ctx.as_user(user))

    await set_status(SetStatus(user_id=user.id, status=UserStatus.DISABLED), as_admin)
    with pytest.raises(Unauthenticated):
        await authenticate_session(session.token, ctx)
    with pytest.raises(Unauthenticated):
        await authenticate_api_token(token.secret, ctx)
    with pytest.raises(Forbidden):
        await check_credentials(CheckCredentials(email=user.email, password=PASSWORD), ctx)
    assert await ctx.db.scalar(select(func.count()).where(Thread.owner_id == user.id)) == 1

    await set_status(SetStatus(user_id=user.id, status=UserStatus.ACTIVE), as_admin)
    # The token works again; the session that was ended stays ended.
    assert (await authenticate_api_token(token.secret, ctx)).id == user.id
    with pytest.raises(Unauthenticated):
        await authenticate_session(session.token, ctx)
    await check_credentials(CheckCredentials(email=user.email, password=PASSWORD), ctx)
    actions = [e.action for e in (await list_audit(ListAudit(target_id=user.id), as_admin)).items]
    assert actions == [AuditAction.USER_ENABLED, AuditAction.USER_DISABLED]


async def _count(ctx: Context, column: InstrumentedAttribute[str], value: str) -> int:
    return int(await ctx.db.scalar(select(func.count()).where(column == value)) or 0)


async def test_delete_takes_everything_of_the_user_and_nothing_else(
    as_admin: Context, ctx: Context, user: User, other_user: User
) -> None:
    threads = {}
    for who in (user, other_user):
        acting = ctx.as_user(who)
        thread = await create_thread(CreateThread(title="mine"), acting)
        await post_message(PostMessage(thread_id=thread.id, content="hello"), acting)
        await create_api_token(CreateApiToken(name="script"), acting)
        await start_session(StartSession(user_id=who.id), ctx)
        ctx.db.add(UsageRecord(user_id=who.id, model_id="m", input_tokens=3))
        threads[who.id] = thread.id
    await ctx.db.flush()

    await delete_user(DeleteUser(user_id=user.id), as_admin)
    ctx.db.expunge_all()  # read what the database holds, not what the session remembers
    assert await ctx.db.get(User, user.id) is None
    for column in (Thread.owner_id, UserSession.user_id, ApiToken.user_id, UsageRecord.user_id):
        assert await _count(ctx, column, user.id) == 0, column
        assert await _count(ctx, column, other_user.id) == 1, column
    assert await _count(ctx, Message.thread_id, threads[user.id]) == 0
    assert await _count(ctx, Message.thread_id, threads[other_user.id]) == 2
    deleted = await ctx.db.scalars(
        select(OutboxEvent.thread_id).where(OutboxEvent.type == "thread.deleted")
    )
    assert list(deleted) == [threads[user.id]]
    # The audit log still says who was deleted.
    [entry] = (await list_audit(ListAudit(target_id=user.id), as_admin)).items
    assert (entry.action, entry.target_name) == (AuditAction.USER_DELETED, "ada@example.com")
    with pytest.raises(NotFound):
        await delete_user(DeleteUser(user_id=user.id), as_admin)


async def test_reset_password_gives_a_one_time_password(
    as_admin: Context, ctx: Context, user: User
) -> None:
    session = await start_session(StartSession(user_id=user.id), ctx)
    reset = await reset_password(ResetPassword(user_id=user.id), as_admin)
    assert len(reset.password) >= 16
    assert user.password_change_required
    with pytest.raises(Unauthenticated):
        await authenticate_session(session.token, ctx)
    with pytest.raises(Unauthenticated):
        await check_credentials(CheckCredentials(email=user.email, password=PASSWORD), ctx)
    signed_in = await check_credentials(
        CheckCredentials(email=user.email, password=reset.password), ctx
    )
    assert signed_in.id == user.id
    [entry] = (await list_audit(ListAudit(target_id=user.id), as_admin)).items
    assert entry.action is AuditAction.PASSWORD_RESET
    assert reset.password not in str(entry.details)
