"""Accounts: sign-up, sign-in, password change, deletion."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from py_core.accounts.passwords import (
    check_password_policy,
    hash_password,
    needs_rehash,
    password_turn,
)
from py_core.context import Context
from py_core.database.models import (
    Thread,
    User,
    UserRole,
    UserSession,
    UserStatus,
    normalise_email,
)
from py_core.database.utils import utcnow
from py_core.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from py_core.events.types import ThreadDeleted
from py_core.limits import MAX_DISPLAY_NAME, MAX_EMAIL

# Deliberately loose: one @, something on each side, a dot in the domain. The only
# real check of an address is a mail that arrives.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, kw_only=True)
class CreateUser:
    email: str
    """The sign-in address; compared case-insensitively."""
    password: str
    """The plain password; only its argon2id hash is stored."""
    display_name: str
    """The name shown in the UI, 1 to `MAX_DISPLAY_NAME` characters."""
    role: UserRole = UserRole.USER
    """`ADMIN` only for accounts made by an operator."""


async def create_user(params: CreateUser, ctx: Context) -> User:
    """Create an account; a taken email is a `Conflict`, bad fields are `InvalidInput`."""
    email = normalise_email(params.email)
    if len(email) > MAX_EMAIL or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address.", field="email")
    display_name = params.display_name.strip()
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME:
        raise InvalidInput(
            f"The display name must be 1 to {MAX_DISPLAY_NAME} characters.", field="display_name"
        )
    check_password_policy(params.password, email=email)
    # Hashed before the insert: the transaction takes the write lock only after.
    password_hash = await hash_password(params.password)
    user = User(
        email=email, display_name=display_name, password_hash=password_hash, role=params.role
    )
    try:
        # A savepoint, so a taken email (found by the unique constraint, which also
        # catches two sign-ups racing) leaves the caller's transaction usable.
        async with ctx.db.begin_nested():
            ctx.db.add(user)
    except IntegrityError:
        raise Conflict("An account with this email already exists.") from None
    ctx.logger.info("user created", extra={"user_id": user.id})
    return user


@dataclass(frozen=True, kw_only=True)
class CheckCredentials:
    email: str
    """As typed at sign-in; normalised before lookup."""
    password: str
    """The plain password to verify."""


async def check_credentials(params: CheckCredentials, ctx: Context) -> User:
    """The active user with this email and password, or `Unauthenticated`.

    The message is the same for an unknown email and a wrong password, so sign-in
    reveals nothing about which accounts exist.
    """
    # The turn before the read: sign-ins queued behind argon2 hold no connection.
    async with password_turn() as turn:
        user = await ctx.db.scalar(select(User).where(User.email == normalise_email(params.email)))
        if user is None:
            await turn.verify_no_password(params.password)
            raise Unauthenticated("Wrong email or password.")
        if not await turn.verify(user.password_hash, params.password):
            raise Unauthenticated("Wrong email or password.")
        if user.status is not UserStatus.ACTIVE:
            # Said only to someone who knows the password.
            raise Forbidden("This account is disabled.")
        if needs_rehash(user.password_hash):
            # Only marks the row: it is written with the caller's first write, after.
            user.password_hash = await turn.hash(params.password)
    return user


@dataclass(frozen=True, kw_only=True)
class ChangePassword:
    """The acting user's password changes."""

    current_password: str
    """Proof that the person at the keyboard knows the old one."""
    new_password: str
    """Checked against the password policy."""
    keep_session_id: str | None = None
    """The session making the change stays signed in; every other one ends."""


async def change_password(params: ChangePassword, ctx: Context) -> None:
    # Both argon2 steps come before the first write, so no write lock waits on them.
    async with password_turn() as turn:
        user = await get_user(ctx.user_id, ctx)
        if not await turn.verify(user.password_hash, params.current_password):
            raise InvalidInput("The current password is wrong.", field="current_password")
        check_password_policy(params.new_password, email=user.email)
        user.password_hash = await turn.hash(params.new_password)
    # A one-time password an administrator handed out has served its purpose.
    user.password_change_required = False
    await _end_sessions(ctx, user.id, keep=params.keep_session_id)


@dataclass(frozen=True, kw_only=True)
class DeleteAccount:
    """The acting user's account goes, with everything it holds."""

    password: str
    """Proof that the person at the keyboard owns the account."""


async def delete_account(params: DeleteAccount, ctx: Context) -> None:
    """Delete the acting user with their threads and messages, sessions, API tokens and
    usage records, in the caller's one transaction: with its commit every session and
    token stops working and every open event stream of their threads ends
    (`thread.deleted`, as when a thread is deleted alone)."""
    # argon2 before the first write, so the write lock never waits on it.
    async with password_turn() as turn:
        user = await get_user(ctx.user_id, ctx)
        if not await turn.verify(user.password_hash, params.password):
            raise InvalidInput("The password is wrong.", field="password")
    await erase_user(user, ctx)


async def erase_user(user: User, ctx: Context) -> None:
    """Delete `user` and everything they hold, as `delete_account` describes, for a
    caller that decided already that it may (the user themselves, an administrator)."""
    # Locked, so a thread created meanwhile cannot go without its event.
    threads = await ctx.db.scalars(
        select(Thread).where(Thread.owner_id == user.id).with_for_update()
    )
    ctx.events.add_all(ThreadDeleted.of(thread) for thread in threads)
    # Everything else goes by the foreign keys' ON DELETE CASCADE, in this statement.
    await ctx.db.execute(delete(User).where(User.id == user.id))
    ctx.logger.info("user deleted", extra={"user_id": user.id})


async def get_user(user_id: str, ctx: Context) -> User:
    user = await ctx.db.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


async def _end_sessions(ctx: Context, user_id: str, *, keep: str | None) -> None:
    stmt = (
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    await ctx.db.execute(stmt)
