"""Tokens spent outside any thread, so that every model call counts against its owner."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from py_core.database.base import Base
from py_core.database.utils import UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_MODEL_ID


class UsageRecord(Base):
    """One model call that left no message behind: an OpenAI-compatible completion not
    kept as a thread. A user's usage is the tokens on their replies plus these rows."""

    __tablename__ = "usage_records"
    __table_args__ = (
        # A user's usage over a period: their rows in time (uuid7) order.
        Index("ix_usage_records_user_id_id", "user_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    model_id: Mapped[str] = mapped_column(String(MAX_MODEL_ID))
    """The catalog id the call named."""
    model_name: Mapped[str | None] = mapped_column(String(200))
    """The provider's name of the model that answered."""
    input_tokens: Mapped[int] = mapped_column(Integer, default=0)
    output_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_nanos: Mapped[int | None] = mapped_column(BigInteger)
    """What the call cost, in nano-dollars; None when its model's price is unknown."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
