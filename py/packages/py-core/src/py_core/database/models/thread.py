"""Chat threads and their messages."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from py_core.database.base import Base
from py_core.database.models.user import User
from py_core.database.utils import StringEnum, UTCDateTime, utcnow, uuid7_str
from py_core.limits import MAX_MODEL_ID, MAX_TITLE


class ThreadStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class ThreadSource(enum.StrEnum):
    """Where an imported thread came from."""

    CHATGPT = "chatgpt"
    CLAUDE = "claude"
    OPEN_WEBUI = "open-webui"
    PY_APP = "py-app"
    """Our own export (from this server or another one)."""


class MessageRole(enum.StrEnum):
    USER = "user"
    ASSISTANT = "assistant"
    SYSTEM = "system"


class MessageStatus(enum.StrEnum):
    PENDING = "pending"
    STREAMING = "streaming"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_final(self) -> bool:
        return self in _FINAL_STATUSES


_FINAL_STATUSES = frozenset({MessageStatus.COMPLETE, MessageStatus.FAILED, MessageStatus.CANCELLED})

UNFINISHED_STATUSES = (MessageStatus.PENDING, MessageStatus.STREAMING)
"""A reply in one of these is still being written."""

# One reply at a time per thread, enforced by the database itself: a second post while a
# reply is unfinished fails its insert, with no lock and no read first.
_ONE_UNFINISHED_REPLY = text("role = 'assistant' AND status IN ('pending', 'streaming')")


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (
        # A user's threads by last activity, keyset-paginated on (last_activity_at, id).
        Index("ix_threads_owner_activity", "owner_id", "last_activity_at", "id"),
        # An imported conversation is imported once per owner (NULLs, the threads made
        # here, never collide).
        Index("uq_threads_owner_source", "owner_id", "source", "source_id", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(MAX_TITLE), default="New chat")
    model_id: Mapped[str | None] = mapped_column(String(MAX_MODEL_ID))
    instructions: Mapped[str | None] = mapped_column(Text)
    status: Mapped[ThreadStatus] = mapped_column(
        StringEnum(ThreadStatus), default=ThreadStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    active_leaf_id: Mapped[str | None] = mapped_column(String(36))
    """The last message of the branch the thread shows (the path from the root to it);
    None while the thread is empty. Kept by the operations, not by a foreign key (see
    `Message.parent_id`)."""

    source: Mapped[ThreadSource | None] = mapped_column(StringEnum(ThreadSource))
    """Where an imported thread came from; None for a thread made here."""
    source_id: Mapped[str | None] = mapped_column(String(200))
    """The conversation's id at its source, so importing it again creates nothing."""

    owner: Mapped[User] = relationship(lazy="raise")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # A thread's messages in order, keyset-paginated on id (uuid7 sorts by time).
        Index("ix_messages_thread_id_id", "thread_id", "id"),
        # A message's children (its branches) in order; roots have no parent.
        Index("ix_messages_thread_parent_id", "thread_id", "parent_id", "id"),
        # Recovery looks for unfinished messages whose lease has run out.
        Index("ix_messages_status_lease", "status", "lease_expires_at"),
        Index(
            "uq_messages_thread_id_unfinished",
            "thread_id",
            unique=True,
            sqlite_where=_ONE_UNFINISHED_REPLY,
            postgresql_where=_ONE_UNFINISHED_REPLY,
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    thread_id: Mapped[str] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    parent_id: Mapped[str | None] = mapped_column(String(36))
    """The message this one follows (a thread is a tree: an edit or a regenerated reply is
    a sibling under the same parent); None for a first message. Always a message of the
    same thread, checked by the operations: a foreign key would keep SQLite from
    dropping the column without rebuilding the table, which drops the search triggers."""
    role: Mapped[MessageRole] = mapped_column(StringEnum(MessageRole))
    status: Mapped[MessageStatus] = mapped_column(
        StringEnum(MessageStatus), default=MessageStatus.COMPLETE
    )
    text: Mapped[str] = mapped_column(Text, default="")
    model_messages: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    """The turn's new pydantic-ai messages (`ModelMessagesTypeAdapter` JSON), for history."""
    model_id: Mapped[str | None] = mapped_column(String(MAX_MODEL_ID))
    """The catalog id of the model that wrote a reply (what threads store and requests
    name), set when it starts."""
    model_name: Mapped[str | None] = mapped_column(String(200))
    """The provider's name of the model that answered (with fallbacks, the one that
    did), set when the reply ends."""
    input_tokens: Mapped[int | None] = mapped_column(Integer)
    output_tokens: Mapped[int | None] = mapped_column(Integer)
    cost_nanos: Mapped[int | None] = mapped_column(BigInteger)
    """What the reply cost, in nano-dollars (`py_core.ai_ml.pricing`); None while it is
    written, and when its model's price is unknown (never 0 for unknown)."""
    reserved_tokens: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """Tokens held against the owner's budget while the reply is unfinished (its
    longest possible output and its prompt); an ended reply counts its real tokens."""
    reserved_cost_nanos: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    """The same hold, in nano-dollars."""
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """While generating: renewed by the worker; once past, recovery marks it interrupted."""
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    """A stop was asked for while it streams; the process writing it reads this with its
    next checkpoint and ends the reply `cancelled`."""

    thread: Mapped[Thread] = relationship(lazy="raise")
