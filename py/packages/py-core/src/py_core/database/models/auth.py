"""Server-side sessions and personal API tokens. Only hashes of the secrets are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from py_core.database.base import Base
from py_core.database.models.user import User
from py_core.database.utils import UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_ADDRESS, MAX_TOKEN_NAME


class UserSession(Base):
    """A signed-in browser. The cookie holds the secret; the row holds its SHA-256."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("ix_user_sessions_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    """Sent back in `X-CSRF-Token`; useless without the cookie, so stored as is."""
    user_agent: Mapped[str | None] = mapped_column(String(300))
    """The browser that signed in, for the user's list of sessions."""
    address: Mapped[str | None] = mapped_column(String(MAX_ADDRESS))
    """The client address it was last used from (as of `last_seen_at`)."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """Its last use, to the minute (renewing it costs a write)."""
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="raise")


class ApiToken(Base):
    """A personal API token for programs (`Authorization: Bearer ...`)."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(MAX_TOKEN_NAME))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    """The first characters of the token, so a user can tell tokens apart."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(lazy="raise")
