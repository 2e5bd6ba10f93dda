"""Server-side browser sessions: revocable, expiring, a new id at every sign-in."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from py_core.accounts._secrets import hash_secret, new_secret
from py_core.context import Context
from py_core.database.models import User, UserSession, UserStatus
from py_core.database.utils import utcnow
from py_core.errors import NotFound, Unauthenticated
from py_core.limits import MAX_ADDRESS

DEFAULT_SESSION_LIFETIME = timedelta(days=14)
# Renewing the expiry costs a write; once a minute is plenty for a sliding window.
_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class StartedSession:
    session: UserSession
    """The stored row (holds only the hash of the token)."""
    token: str
    """The secret for the cookie; never stored, shown this once."""


@dataclass(frozen=True, kw_only=True)
class StartSession:
    user_id: str
    """Who signed in."""
    user_agent: str | None = None
    """For the user's list of signed-in devices."""
    address: str | None = None
    """The client's address, for the same list."""
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME
    """Idle time after which the session ends; every use extends it."""


async def start_session(params: StartSession, ctx: Context) -> StartedSession:
    """A new session with a new random id: never reuse one from before sign-in."""
    token = new_secret()
    session = UserSession(
        user_id=params.user_id,
        token_hash=hash_secret(token),
        csrf_token=new_secret(),
        user_agent=(params.user_agent or "")[:300] or None,
        address=(params.address or "")[:MAX_ADDRESS] or None,
        expires_at=utcnow() + params.lifetime,
    )
    ctx.db.add(session)
    await ctx.db.flush()
    return StartedSession(session=session, token=token)


async def authenticate_session(
    token: str,
    ctx: Context,
    *,
    lifetime: timedelta = DEFAULT_SESSION_LIFETIME,
    address: str | None = None,
) -> tuple[User, UserSession]:
    """The user behind a session cookie, or `Unauthenticated`. Its last use (time and the
    client's `address`) is recorded once a minute at most."""
    session = await ctx.db.scalar(
        select(UserSession)
        .where(UserSession.token_hash == hash_secret(token))
        .options(joinedload(UserSession.user))
    )
    now = utcnow()
    if session is None or session.revoked_at is not None or session.expires_at <= now:
        raise Unauthenticated("Your session has ended; sign in again.")
    if session.user.status is not UserStatus.ACTIVE:
        raise Unauthenticated("Your session has ended; sign in again.")
    if now - session.last_seen_at >= _TOUCH_INTERVAL:
        session.last_seen_at = now
        session.expires_at = now + lifetime
        if address:
            session.address = address[:MAX_ADDRESS]
    return session.user, session


async def end_session(session_id: str, ctx: Context) -> None:
    """Sign out: the session can never be used again."""
    session = await ctx.db.get(UserSession, session_id)
    if session is not None and session.revoked_at is None:
        session.revoked_at = utcnow()


async def list_sessions(ctx: Context) -> list[UserSession]:
    """The acting user's live sessions, newest first."""
    rows = await ctx.db.scalars(
        select(UserSession)
        .where(
            UserSession.user_id == ctx.user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > utcnow(),
        )
        .order_by(UserSession.id.desc())
    )
    return list(rows)


@dataclass(frozen=True, kw_only=True)
class RevokeSession:
    session_id: str
    """The session to end; another user's is `NotFound`."""


async def revoke_session(params: RevokeSession, ctx: Context) -> None:
    session = await ctx.db.get(UserSession, params.session_id)
    if session is None or session.user_id != ctx.user_id:
        raise NotFound("No such session.")
    if session.revoked_at is None:
        session.revoked_at = utcnow()
