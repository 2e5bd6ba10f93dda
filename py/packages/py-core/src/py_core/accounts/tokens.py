"""Personal API tokens: shown once, stored as a hash, named, optionally expiring."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from py_core.accounts._secrets import hash_secret, new_secret
from py_core.context import Context
from py_core.database.models import ApiToken, User, UserStatus
from py_core.database.utils import utcnow
from py_core.errors import InvalidInput, NotFound, Unauthenticated
from py_core.limits import MAX_TOKEN_NAME

TOKEN_PREFIX = "pya_"
_PREFIX_SHOWN = 10
# Recording last use costs a write; a minute's precision is enough to spot a stale token.
_TOUCH_INTERVAL = timedelta(minutes=1)


@dataclass(frozen=True, kw_only=True)
class CreateApiToken:
    """A token for the acting user; it acts as them."""

    name: str
    """What the token is for, 1 to `MAX_TOKEN_NAME` characters."""
    expires_at: datetime | None = None
    """When it stops working; None for never."""


@dataclass(frozen=True, kw_only=True)
class CreatedApiToken:
    token: ApiToken
    """The stored row (holds only the hash)."""
    secret: str
    """The bearer token; shown this once and never again."""


async def create_api_token(params: CreateApiToken, ctx: Context) -> CreatedApiToken:
    name = params.name.strip()
    if not 1 <= len(name) <= MAX_TOKEN_NAME:
        raise InvalidInput(
            f"The token name must be 1 to {MAX_TOKEN_NAME} characters.", field="name"
        )
    if params.expires_at is not None and params.expires_at <= utcnow():
        raise InvalidInput("The expiry must be in the future.", field="expires_at")
    secret = new_secret(TOKEN_PREFIX)
    token = ApiToken(
        user_id=ctx.user_id,
        name=name,
        token_hash=hash_secret(secret),
        prefix=secret[:_PREFIX_SHOWN],
        expires_at=params.expires_at,
    )
    ctx.db.add(token)
    await ctx.db.flush()
    return CreatedApiToken(token=token, secret=secret)


async def list_api_tokens(ctx: Context) -> list[ApiToken]:
    """The acting user's tokens that have not been revoked, newest first (expired ones too,
    so the user sees why a script stopped working)."""
    rows = await ctx.db.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == ctx.user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id.desc())
    )
    return list(rows)


@dataclass(frozen=True, kw_only=True)
class RevokeApiToken:
    token_id: str
    """The token to revoke; another user's is `NotFound`."""


async def revoke_api_token(params: RevokeApiToken, ctx: Context) -> None:
    token = await ctx.db.get(ApiToken, params.token_id)
    if token is None or token.user_id != ctx.user_id or token.revoked_at is not None:
        raise NotFound("No such token.")
    token.revoked_at = utcnow()


async def authenticate_api_token(secret: str, ctx: Context) -> User:
    """The user behind a bearer token, or `Unauthenticated`."""
    token = await ctx.db.scalar(
        select(ApiToken)
        .where(ApiToken.token_hash == hash_secret(secret))
        .options(joinedload(ApiToken.user))
    )
    now = utcnow()
    if token is None or token.revoked_at is not None:
        raise Unauthenticated("Invalid API token.")
    if token.expires_at is not None and token.expires_at <= now:
        raise Unauthenticated("This API token has expired.")
    if token.user.status is not UserStatus.ACTIVE:
        raise Unauthenticated("Invalid API token.")
    if token.last_used_at is None or now - token.last_used_at >= _TOUCH_INTERVAL:
        token.last_used_at = now
    return token.user
