import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from py_core.database.models import User, UserRole, UserStatus
from py_core.database.utils import StringEnum


async def _user(db: AsyncSession, email: str = "a@example.com") -> User:
    user = User(email=email, display_name="A", password_hash="x", status=UserStatus.DISABLED)
    db.add(user)
    await db.flush()
    return user


async def test_round_trip_gives_back_the_member(db: AsyncSession) -> None:
    user = await _user(db)
    db.expunge_all()
    loaded = await db.get_one(User, user.id)
    assert loaded.status is UserStatus.DISABLED
    assert loaded.role is UserRole.USER


async def test_stored_as_the_plain_value(db: AsyncSession) -> None:
    user = await _user(db)
    raw = await db.scalar(text("SELECT status FROM users WHERE id = :id"), {"id": user.id})
    assert raw == "disabled"


async def test_filter_by_member(db: AsyncSession) -> None:
    await _user(db, "a@example.com")
    active = User(email="b@example.com", display_name="B", password_hash="x")
    db.add(active)
    await db.flush()
    found = (await db.scalars(select(User).where(User.status == UserStatus.ACTIVE))).all()
    assert [u.email for u in found] == ["b@example.com"]


async def test_bad_value_on_write_names_enum_and_value(db: AsyncSession) -> None:
    with pytest.raises(StatementError, match=r"'bogus' is not a UserStatus"):
        await db.execute(update(User).values(status="bogus"))


async def test_plain_string_equal_to_a_value_is_not_a_member(db: AsyncSession) -> None:
    with pytest.raises(StatementError, match="'active' is not a UserStatus"):
        await db.execute(select(User).where(User.status == "active"))


async def test_bad_value_on_read_names_enum_and_value(db: AsyncSession) -> None:
    user = await _user(db)
    await db.execute(text("UPDATE users SET status = 'frozen' WHERE id = :id"), {"id": user.id})
    db.expunge_all()
    with pytest.raises(ValueError, match=r"'frozen', which is not a value of UserStatus"):
        await db.get(User, user.id)


def test_enum_longer_than_the_column_is_refused() -> None:
    import enum

    class Long(enum.StrEnum):
        X = "x" * 40

    with pytest.raises(ValueError, match="longer than 32"):
        StringEnum(Long)
