"""The administrator's view of the accounts: find them, see their usage, change their
role, disable, delete, and hand out a one-time password.

Every operation checks that the acting user is an administrator and records what it did
in the audit log, in the same transaction. An administrator cannot demote, disable or
delete their own account (nor reset its password here): the site always keeps the
administrator who is acting, and no web request can make one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, update

from py_core.accounts.passwords import check_password_policy, password_turn
from py_core.accounts.users import erase_user
from py_core.admin._access import one_time_password, require_admin
from py_core.admin.audit import record
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.chat.usage import TokenUsage, usage_of
from py_core.context import Context
from py_core.database.models import (
    ApiToken,
    AuditAction,
    Thread,
    User,
    UserRole,
    UserSession,
    UserStatus,
)
from py_core.database.utils import utcnow
from py_core.errors import Conflict, InvalidInput, NotFound
from py_core.limits import MAX_QUERY


@dataclass(frozen=True, kw_only=True)
class ListUsers:
    query: str | None = None
    """Only accounts whose email or name holds this text (any case)."""
    cursor: str | None = None
    """`next_cursor` of the previous page."""
    limit: int = 50
    """Accounts per page, 1 to 100."""


@dataclass(frozen=True, kw_only=True)
class UserPage:
    items: list[User]
    """Newest accounts first."""
    next_cursor: str | None
    """Pass it back for the next page; None on the last page."""


async def list_users(params: ListUsers, ctx: Context) -> UserPage:
    require_admin(ctx)
    limit = check_limit(params.limit)
    query = select(User).order_by(User.id.desc()).limit(limit + 1)
    text = (params.query or "").strip().lower()
    if len(text) > MAX_QUERY:
        raise InvalidInput(f"The search must be at most {MAX_QUERY} characters.", field="q")
    if text:
        # autoescape: a `%` or `_` typed in the box is looked for, not a wildcard.
        query = query.where(
            or_(
                User.email.contains(text, autoescape=True),
                func.lower(User.display_name).contains(text, autoescape=True),
            )
        )
    if params.cursor:
        [last_id] = decode_cursor(params.cursor, 1)
        query = query.where(User.id < last_id)
    rows = list(await ctx.db.scalars(query))
    items = rows[:limit]
    return UserPage(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


@dataclass(frozen=True, kw_only=True)
class UserOverview:
    user: User
    """The account."""
    usage: TokenUsage
    """Its tokens over every model call."""
    threads: int
    """Its threads, archived ones too."""
    sessions: int
    """Browsers signed in now."""
    api_tokens: int
    """API tokens not revoked (expired ones too)."""


async def get_user_overview(user_id: str, ctx: Context) -> UserOverview:
    require_admin(ctx)
    user = await _get(user_id, ctx)

    async def count(*where: ColumnElement[bool]) -> int:
        return int(await ctx.db.scalar(select(func.count()).where(*where)) or 0)

    return UserOverview(
        user=user,
        usage=await usage_of(user.id, ctx),
        threads=await count(Thread.owner_id == user.id),
        sessions=await count(
            UserSession.user_id == user.id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        ),
        api_tokens=await count(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)),
    )


@dataclass(frozen=True, kw_only=True)
class GetUserUsage:
    user_id: str
    """Whose usage."""
    since: datetime | None = None
    """Only model calls from then on; every call when None."""


async def get_user_usage(params: GetUserUsage, ctx: Context) -> TokenUsage:
    require_admin(ctx)
    user = await _get(params.user_id, ctx)
    return await usage_of(user.id, ctx, since=params.since)


@dataclass(frozen=True, kw_only=True)
class SetRole:
    user_id: str
    """The account; not the acting administrator's own."""
    role: UserRole
    """`ADMIN` makes them an administrator, `USER` takes it back."""


async def set_role(params: SetRole, ctx: Context) -> User:
    user = await _get_other(params.user_id, ctx, "change your own role")
    if user.role is not params.role:
        record(
            ctx,
            AuditAction.ROLE_CHANGED,
            target=user,
            details={"from": str(user.role), "to": str(params.role)},
        )
        user.role = params.role
    return user


@dataclass(frozen=True, kw_only=True)
class SetStatus:
    user_id: str
    """The account; not the acting administrator's own."""
    status: UserStatus
    """`DISABLED`: every session ends and every API token stops working with this
    transaction's commit, their data stays. `ACTIVE` lets them sign in again (their API
    tokens work again; sessions ended stay ended)."""


async def set_status(params: SetStatus, ctx: Context) -> User:
    user = await _get_other(params.user_id, ctx, "disable your own account")
    if user.status is params.status:
        return user
    user.status = params.status
    if params.status is UserStatus.DISABLED:
        # Authentication refuses a disabled account's sessions and tokens already; the
        # sessions are ended too, so re-enabling it does not sign those browsers back in.
        await _end_sessions(user.id, ctx)
        record(ctx, AuditAction.USER_DISABLED, target=user)
    else:
        record(ctx, AuditAction.USER_ENABLED, target=user)
    return user


@dataclass(frozen=True, kw_only=True)
class DeleteUser:
    user_id: str
    """The account to delete with everything it holds; not the acting administrator's."""


async def delete_user(params: DeleteUser, ctx: Context) -> None:
    """The user, their threads and messages, sessions, API tokens and usage records go in
    the caller's one transaction (the foreign keys' ON DELETE CASCADE), each thread with
    its `thread.deleted` event so its open streams end. The audit log keeps their email."""
    user = await _get_other(params.user_id, ctx, "delete your own account here")
    record(ctx, AuditAction.USER_DELETED, target=user)
    await erase_user(user, ctx)


@dataclass(frozen=True, kw_only=True)
class ResetPassword:
    user_id: str
    """The account; an administrator changes their own password in Settings."""


@dataclass(frozen=True, kw_only=True)
class PasswordReset:
    user: User
    """The account, now required to choose a new password at sign-in."""
    password: str
    """The one-time password: shown to the administrator this once, never stored."""


async def reset_password(params: ResetPassword, ctx: Context) -> PasswordReset:
    """A new random password replaces theirs; every session ends (API tokens keep
    working) and their next sign-in must choose a new one."""
    user = await _get_other(params.user_id, ctx, "reset your own password here")
    password = one_time_password()
    check_password_policy(password, email=user.email)
    # argon2 before the first write, so the write lock never waits on it.
    async with password_turn() as turn:
        password_hash = await turn.hash(password)
    user.password_hash = password_hash
    user.password_change_required = True
    await _end_sessions(user.id, ctx)
    record(ctx, AuditAction.PASSWORD_RESET, target=user)
    return PasswordReset(user=user, password=password)


async def _get(user_id: str, ctx: Context) -> User:
    user = await ctx.db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def _get_other(user_id: str, ctx: Context, what: str) -> User:
    """The target of a change, once the actor is known to be an administrator and to be
    someone else: the site must never lose the administrator who is acting."""
    admin = require_admin(ctx)
    user = await _get(user_id, ctx)
    if user.id == admin.id:
        raise Conflict(f"You cannot {what}; another administrator can.")
    return user


async def _end_sessions(user_id: str, ctx: Context) -> None:
    await ctx.db.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
