"""What limits spending: budgets (a default and per-user overrides), the holds of `/v1`
calls in flight, and who may use which model (an administrator's choice)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from py_core.database.base import Base
from py_core.database.utils import StringEnum, UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_MODEL_ID


class BudgetPeriod(enum.StrEnum):
    """How long a budget lasts before it starts again (at midnight, or on the 1st, in
    the configured time zone)."""

    DAY = "day"
    MONTH = "month"


_DEFAULT_ROW = text("user_id IS NULL")


class BudgetLimit(Base):
    """A budget for one period: everyone's default (no user) or one user's override.
    A user's row for a period replaces the default's for that period; a row with
    neither limit means no limit then."""

    __tablename__ = "budget_limits"
    __table_args__ = (
        Index("uq_budget_limits_user_period", "user_id", "period", unique=True),
        # NULLs never collide in a unique index, so the default has its own.
        Index(
            "uq_budget_limits_default_period",
            "period",
            unique=True,
            sqlite_where=_DEFAULT_ROW,
            postgresql_where=_DEFAULT_ROW,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    """Whose override it is; None for everyone's default."""
    period: Mapped[BudgetPeriod] = mapped_column(StringEnum(BudgetPeriod))
    max_tokens: Mapped[int | None] = mapped_column(BigInteger)
    """Tokens (prompt and output) per period; None for no token limit."""
    max_cost_nanos: Mapped[int | None] = mapped_column(BigInteger)
    """Nano-dollars per period; None for no money limit."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class BudgetReservation(Base):
    """What a `/v1` call in flight holds against its owner's budget. Written and
    committed before the call starts; deleted in the transaction that records the
    call's real usage. A chat reply holds on its own row instead
    (`Message.reserved_tokens`), for as long as it is unfinished."""

    __tablename__ = "budget_reservations"
    __table_args__ = (Index("ix_budget_reservations_user_id", "user_id", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The call's reply id (`chatcmpl-<id>`)."""
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    tokens: Mapped[int] = mapped_column(Integer)
    cost_nanos: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    """After this, the hold no longer counts: its process died before recording it."""


class ModelAccessRule(Base):
    """Who may use one model, as an administrator set it; replaces the configuration's
    `access` for that model. Administrators may use every model."""

    __tablename__ = "model_access"

    model_id: Mapped[str] = mapped_column(String(MAX_MODEL_ID), primary_key=True)
    everyone: Mapped[bool] = mapped_column(Boolean)
    """Open to every account; the lists below then do not matter."""
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    """Every account with one of these roles (`admin`, `user`)."""
    user_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    """These accounts. An id of a deleted account matches no one."""
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
