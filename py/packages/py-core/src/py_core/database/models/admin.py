"""What administrators keep: the site's registration mode, invites, and the audit log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from py_core.database.base import Base
from py_core.database.utils import StringEnum, UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_EMAIL, MAX_INVITE_NOTE


class RegistrationMode(enum.StrEnum):
    """Who may create an account."""

    OPEN = "open"
    """Anyone who reaches the sign-up page."""
    INVITE = "invite"
    """Only someone holding an unused, unexpired invite link."""
    CLOSED = "closed"
    """No one; administrators add people with `make admin` only."""


class SiteSettings(Base):
    """Choices an administrator makes for the whole site; one row (id 1), absent until
    the first choice. A column left null falls back to the configuration."""

    __tablename__ = "site_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    registration: Mapped[RegistrationMode | None] = mapped_column(StringEnum(RegistrationMode))
    """Overrides `REGISTRATION` when set."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Invite(Base):
    """A single-use, expiring sign-up link. Only the SHA-256 of its secret is stored."""

    __tablename__ = "invites"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    note: Mapped[str | None] = mapped_column(String(MAX_INVITE_NOTE))
    """Whom it is for, as the administrator wrote it."""
    created_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    """The account made with it (null again if that account is deleted)."""
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditAction(enum.StrEnum):
    """What an administrator (or the operator, from the command line) did."""

    USER_CREATED = "user.created"
    ROLE_CHANGED = "user.role_changed"
    USER_DISABLED = "user.disabled"
    USER_ENABLED = "user.enabled"
    USER_DELETED = "user.deleted"
    PASSWORD_RESET = "user.password_reset"
    INVITE_CREATED = "invite.created"
    INVITE_REVOKED = "invite.revoked"
    REGISTRATION_CHANGED = "registration.changed"
    MODEL_ACCESS_CHANGED = "model.access_changed"
    BUDGET_CHANGED = "budget.changed"


class AuditEntry(Base):
    """One administrator action: who, what, when, on whom. Names are copied in, so an
    entry still reads right after its actor or target is deleted."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # One user's history on their page, newest first.
        Index("ix_audit_log_target_id_id", "target_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    actor_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    """The administrator; null for the operator (command line, `ADMIN_EMAILS`)."""
    actor_name: Mapped[str] = mapped_column(String(MAX_EMAIL))
    """The administrator's email then, or how the operator acted (`command line`)."""
    action: Mapped[AuditAction] = mapped_column(StringEnum(AuditAction, length=64))
    target_id: Mapped[str | None] = mapped_column(String(36))
    """The user (or invite) acted on; no foreign key, so it outlives a deleted user."""
    target_name: Mapped[str | None] = mapped_column(String(MAX_EMAIL))
    """The target user's email then (or an invite's note)."""
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What changed, e.g. `{"from": "user", "to": "admin"}`."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
