import pytest
from argon2 import PasswordHasher

from py_core.accounts import CreateUser, create_user
from py_core.accounts.passwords import verify_password
from py_core.context import Context
from py_core.database.models import UserRole, UserStatus
from py_core.errors import Conflict, InvalidInput


def _params(**overrides: str) -> CreateUser:
    fields = {"email": "Ada@Example.com ", "password": "correct horse battery"}
    fields.update(overrides)
    return CreateUser(
        email=fields["email"],
        password=fields["password"],
        display_name=fields.get("display_name", "Ada"),
    )


async def test_creates_an_active_user_with_a_normalised_email(ctx: Context) -> None:
    user = await create_user(_params(), ctx)
    assert user.id
    assert user.email == "ada@example.com"
    assert user.role is UserRole.USER
    assert user.status is UserStatus.ACTIVE
    assert user.created_at.tzinfo is not None


async def test_stores_an_argon2id_hash_only(ctx: Context) -> None:
    user = await create_user(_params(), ctx)
    assert "correct horse" not in user.password_hash
    assert user.password_hash.startswith("$argon2id$")
    params = PasswordHasher().check_needs_rehash(user.password_hash)
    assert params is False
    assert await verify_password(user.password_hash, "correct horse battery")
    assert not await verify_password(user.password_hash, "wrong")


async def test_duplicate_email_differing_in_case_is_a_conflict(ctx: Context) -> None:
    await create_user(_params(), ctx)
    with pytest.raises(Conflict, match="already exists"):
        await create_user(_params(email="ADA@example.COM"), ctx)
    # The transaction is still usable after the conflict.
    other = await create_user(_params(email="grace@example.com"), ctx)
    assert other.email == "grace@example.com"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "valid email"),
        ("display_name", "   ", "display name"),
        ("password", "short", "at least 8"),
    ],
)
async def test_invalid_fields_are_refused(
    ctx: Context, field: str, value: str, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message) as info:
        await create_user(_params(**{field: value}), ctx)
    assert info.value.field == field
