from datetime import timedelta

import pytest

from py_core.accounts import (
    ChangePassword,
    CheckCredentials,
    RevokeSession,
    StartSession,
    authenticate_session,
    change_password,
    check_credentials,
    end_session,
    list_sessions,
    revoke_session,
    start_session,
)
from py_core.accounts._secrets import hash_secret
from py_core.context import Context
from py_core.database.models import User, UserStatus
from py_core.errors import Forbidden, InvalidInput, NotFound, Unauthenticated

PASSWORD = "correct horse battery"  # the fixtures' password (conftest.py)


async def test_check_credentials(ctx: Context, user: User) -> None:
    found = await check_credentials(
        CheckCredentials(email=" ADA@example.com", password=PASSWORD), ctx
    )
    assert found.id == user.id


@pytest.mark.parametrize(
    ("email", "password"), [("ada@example.com", "wrong password"), ("nobody@example.com", PASSWORD)]
)
async def test_wrong_credentials_say_the_same(
    ctx: Context, user: User, email: str, password: str
) -> None:
    with pytest.raises(Unauthenticated, match=r"^Wrong email or password\.$"):
        await check_credentials(CheckCredentials(email=email, password=password), ctx)


async def test_a_disabled_user_cannot_sign_in_nor_use_a_session(ctx: Context, user: User) -> None:
    started = await start_session(StartSession(user_id=user.id), ctx)
    user.status = UserStatus.DISABLED  # as an operator does, in the database
    with pytest.raises(Forbidden):
        await check_credentials(CheckCredentials(email=user.email, password=PASSWORD), ctx)
    with pytest.raises(Unauthenticated):
        await authenticate_session(started.token, ctx)


async def test_session_token_is_random_and_stored_hashed(ctx: Context, user: User) -> None:
    first = await start_session(StartSession(user_id=user.id, user_agent="pytest"), ctx)
    second = await start_session(StartSession(user_id=user.id), ctx)
    assert first.token != second.token
    assert first.session.id != second.session.id
    assert len(first.token) >= 43  # 32 random bytes, base64url
    assert first.session.token_hash == hash_secret(first.token)
    assert first.token not in first.session.token_hash
    found, session = await authenticate_session(first.token, ctx)
    assert (found.id, session.id) == (user.id, first.session.id)


async def test_unknown_expired_and_ended_sessions_are_refused(ctx: Context, user: User) -> None:
    with pytest.raises(Unauthenticated):
        await authenticate_session("made-up", ctx)
    expired = await start_session(StartSession(user_id=user.id, lifetime=timedelta(0)), ctx)
    with pytest.raises(Unauthenticated):
        await authenticate_session(expired.token, ctx)
    ended = await start_session(StartSession(user_id=user.id), ctx)
    await end_session(ended.session.id, ctx)
    with pytest.raises(Unauthenticated):
        await authenticate_session(ended.token, ctx)


async def test_revoke_session_only_own(ctx: Context, user: User, other_user: User) -> None:
    started = await start_session(StartSession(user_id=user.id), ctx)
    with pytest.raises(NotFound):
        await revoke_session(RevokeSession(session_id=started.session.id), ctx.as_user(other_user))
    await authenticate_session(started.token, ctx)
    await revoke_session(RevokeSession(session_id=started.session.id), ctx.as_user(user))
    with pytest.raises(Unauthenticated):
        await authenticate_session(started.token, ctx)
    assert await list_sessions(ctx.as_user(user)) == []


async def test_change_password_ends_the_other_sessions(ctx: Context, user: User) -> None:
    here = await start_session(StartSession(user_id=user.id), ctx)
    elsewhere = await start_session(StartSession(user_id=user.id), ctx)
    await change_password(
        ChangePassword(
            current_password=PASSWORD,
            new_password="a brand new secret",
            keep_session_id=here.session.id,
        ),
        ctx.as_user(user),
    )
    await authenticate_session(here.token, ctx)
    with pytest.raises(Unauthenticated):
        await authenticate_session(elsewhere.token, ctx)
    await check_credentials(CheckCredentials(email=user.email, password="a brand new secret"), ctx)
    with pytest.raises(Unauthenticated):
        await check_credentials(CheckCredentials(email=user.email, password=PASSWORD), ctx)


async def test_change_password_checks_the_current_one_and_the_policy(
    ctx: Context, user: User
) -> None:
    with pytest.raises(InvalidInput, match="current password"):
        await change_password(
            ChangePassword(current_password="nope", new_password="whatever 123"),
            ctx.as_user(user),
        )
    with pytest.raises(InvalidInput, match="too common"):
        await change_password(
            ChangePassword(current_password=PASSWORD, new_password="password1"),
            ctx.as_user(user),
        )
