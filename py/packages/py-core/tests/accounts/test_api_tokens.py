from datetime import timedelta

import pytest

from py_core.accounts import (
    CreateApiToken,
    RevokeApiToken,
    authenticate_api_token,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from py_core.accounts._secrets import hash_secret
from py_core.context import Context
from py_core.database.models import User, UserStatus
from py_core.database.utils import utcnow
from py_core.errors import InvalidInput, NotFound, Unauthenticated


async def test_create_shows_the_secret_once_and_stores_a_hash(ctx: Context, user: User) -> None:
    created = await create_api_token(CreateApiToken(name="laptop"), ctx.as_user(user))
    assert created.secret.startswith("pya_")
    assert created.token.token_hash == hash_secret(created.secret)
    assert created.token.prefix == created.secret[:10]
    assert created.token.last_used_at is None
    found = await authenticate_api_token(created.secret, ctx)
    assert found.id == user.id
    (listed,) = await list_api_tokens(ctx.as_user(user))
    assert listed.id == created.token.id
    assert listed.last_used_at is not None


async def test_revoked_token_stops_working(ctx: Context, user: User, other_user: User) -> None:
    created = await create_api_token(CreateApiToken(name="ci"), ctx.as_user(user))
    with pytest.raises(NotFound):
        await revoke_api_token(RevokeApiToken(token_id=created.token.id), ctx.as_user(other_user))
    await revoke_api_token(RevokeApiToken(token_id=created.token.id), ctx.as_user(user))
    with pytest.raises(Unauthenticated):
        await authenticate_api_token(created.secret, ctx)
    assert await list_api_tokens(ctx.as_user(user)) == []
    with pytest.raises(NotFound):
        await revoke_api_token(RevokeApiToken(token_id=created.token.id), ctx.as_user(user))


async def test_expired_token_is_refused(ctx: Context, user: User) -> None:
    created = await create_api_token(
        CreateApiToken(name="soon", expires_at=utcnow() + timedelta(hours=1)), ctx.as_user(user)
    )
    created.token.expires_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(Unauthenticated, match="expired"):
        await authenticate_api_token(created.secret, ctx)


async def test_token_of_a_disabled_user_is_refused(ctx: Context, user: User) -> None:
    created = await create_api_token(CreateApiToken(name="x"), ctx.as_user(user))
    user.status = UserStatus.DISABLED  # as an operator does, in the database
    with pytest.raises(Unauthenticated):
        await authenticate_api_token(created.secret, ctx)


@pytest.mark.parametrize(
    ("name", "expires_in", "field"),
    [("", None, "name"), ("x" * 101, None, "name"), ("ok", timedelta(seconds=-5), "expires_at")],
)
async def test_invalid_token_requests(
    ctx: Context, user: User, name: str, expires_in: timedelta | None, field: str
) -> None:
    expires_at = utcnow() + expires_in if expires_in is not None else None
    with pytest.raises(InvalidInput) as info:
        await create_api_token(CreateApiToken(name=name, expires_at=expires_at), ctx.as_user(user))
    assert info.value.field == field


async def test_unknown_token(ctx: Context) -> None:
    with pytest.raises(Unauthenticated):
        await authenticate_api_token("pya_nothing", ctx)
