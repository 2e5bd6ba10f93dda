"""Accounts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column, validates

from py_core.database.base import Base
from py_core.database.utils import StringEnum, UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_DISPLAY_NAME, MAX_EMAIL


class UserRole(enum.StrEnum):
    USER = "user"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    email: Mapped[str] = mapped_column(String(MAX_EMAIL), unique=True)
    """Stored lower-cased, so uniqueness is case-insensitive on every database."""
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(StringEnum(UserRole), default=UserRole.USER)
    status: Mapped[UserStatus] = mapped_column(StringEnum(UserStatus), default=UserStatus.ACTIVE)
    password_change_required: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false()
    )
    """Set with a one-time password an administrator handed out: the browser must choose
    a new password before anything else."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @validates("email")
    def _normalise_email(self, _key: str, value: str) -> str:
        return normalise_email(value)


def normalise_email(value: str) -> str:
    """The form an email address is stored and looked up in."""
    return value.strip().lower()
