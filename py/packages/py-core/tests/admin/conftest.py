import pytest

from py_core.accounts import CreateUser, create_user
from py_core.context import Context
from py_core.database.models import User, UserRole

PASSWORD = "correct horse battery"


@pytest.fixture
async def admin(ctx: Context) -> User:
    return await create_user(
        CreateUser(
            email="root@example.com", password=PASSWORD, display_name="Root", role=UserRole.ADMIN
        ),
        ctx,
    )


@pytest.fixture
async def user(ctx: Context) -> User:
    return await create_user(
        CreateUser(email="ada@example.com", password=PASSWORD, display_name="Ada"), ctx
    )


@pytest.fixture
async def other_user(ctx: Context) -> User:
    return await create_user(
        CreateUser(email="grace@example.com", password=PASSWORD, display_name="Grace"), ctx
    )


@pytest.fixture
def as_admin(ctx: Context, admin: User) -> Context:
    return ctx.as_user(admin)
