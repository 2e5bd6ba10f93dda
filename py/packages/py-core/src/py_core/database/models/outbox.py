"""The transactional outbox: events written in the same transaction as their change."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from py_core.database.base import Base
from py_core.database.utils import UTCDateTime, utcnow


class OutboxEvent(Base):
    """One event waiting for (or done with) the relay to the event bus."""

    __tablename__ = "event_outbox"
    __table_args__ = (
        # The relay's scan (unpublished, in id order) and the pruning of old published rows.
        Index("ix_event_outbox_published_at_id", "published_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    """The event's own id (uuid7): a re-published event keeps it, so duplicates are dropped."""
    thread_id: Mapped[str] = mapped_column(String(36))
    """No foreign key: a `thread.deleted` event outlives its thread."""
    type: Mapped[str] = mapped_column(String(64))
    """The event's `type`, for operators reading the table."""
    payload: Mapped[str] = mapped_column(Text)
    """The event as JSON, exactly as it will be published."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """When the relay handed it to the bus; NULL while it waits."""
    stream_id: Mapped[str | None] = mapped_column(String(64))
    """Where it landed on the thread's stream."""
