"""The events of a thread, as they travel through the bus and the outbox.

Every event is a frozen pydantic model with a `type` literal (the discriminator), its
own `id` (uuid7: a re-published event keeps it, so consumers drop duplicates), when it
happened, and the owner and thread it belongs to. `parse_event` reads any of them back.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal, Self, TypeAlias, get_args

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from py_core.database.models import Message, MessageRole, MessageStatus, Thread, ThreadStatus
from py_core.database.utils import utcnow, uuid7_str

__all__ = [
    "EVENT_TYPES",
    "Event",
    "EventType",
    "InvalidEvent",
    "MessageCancelled",
    "MessageCompleted",
    "MessageCreated",
    "MessageDelta",
    "MessageFailed",
    "ThreadCreated",
    "ThreadDeleted",
    "ThreadUpdated",
    "UnknownEvent",
    "Usage",
    "parse_event",
]

EventType = Literal[
    "thread.created",
    "thread.updated",
    "thread.deleted",
    "message.created",
    "message.delta",
    "message.completed",
    "message.failed",
    "message.cancelled",
]


class InvalidEvent(ValueError):
    """The data is not a valid event (bad JSON, a missing or mistyped field)."""


class UnknownEvent(InvalidEvent):
    """The data names a `type` this code does not know (e.g. from a newer release)."""

    def __init__(self, event_type: object) -> None:
        super().__init__(f"unknown event type {event_type!r}; known: {', '.join(EVENT_TYPES)}")
        self.event_type = event_type


class _EventBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    durable: ClassVar[bool] = True
    """Whether it goes through the outbox and the bus drops a re-publication of its id.
    Only `message.delta` is not: it is a live-only hint, the final text is durable."""

    id: str = Field(default_factory=uuid7_str)
    """The event's own uuid7; kept across re-publication, so duplicates can be dropped."""
    occurred_at: AwareDatetime = Field(default_factory=utcnow)
    """When the change happened."""
    owner_id: str
    """The user who owns the thread; only they may see the event."""
    thread_id: str
    """The thread whose stream carries the event."""


class _ThreadSnapshot(_EventBase):
    title: str
    """The thread's title."""
    model_id: str | None = None
    """The model the thread talks to, if chosen."""
    archived: bool = False
    """Whether the thread is archived."""
    active_leaf_id: str | None = None
    """The last message of the branch the thread shows, so another tab can follow a
    switch of branch."""

    @classmethod
    def of(cls, thread: Thread) -> Self:
        return cls(
            owner_id=thread.owner_id,
            thread_id=thread.id,
            title=thread.title,
            model_id=thread.model_id,
            archived=thread.status is ThreadStatus.ARCHIVED,
            active_leaf_id=thread.active_leaf_id,
        )


class ThreadCreated(_ThreadSnapshot):
    """A thread was created."""

    type: Literal["thread.created"] = "thread.created"


class ThreadUpdated(_ThreadSnapshot):
    """A thread's title, model or archived flag changed; carries the new values."""

    type: Literal["thread.updated"] = "thread.updated"


class ThreadDeleted(_EventBase):
    """A thread and its messages were deleted."""

    type: Literal["thread.deleted"] = "thread.deleted"

    @classmethod
    def of(cls, thread: Thread) -> ThreadDeleted:
        return cls(owner_id=thread.owner_id, thread_id=thread.id)


class _MessageEvent(_EventBase):
    message_id: str
    """The message the event is about."""


class MessageCreated(_MessageEvent):
    """A message was stored: a user's message, or an assistant's reply about to stream."""

    type: Literal["message.created"] = "message.created"
    role: MessageRole
    """Who speaks."""
    status: MessageStatus
    """The message's status when it was stored."""
    text: str = ""
    """The text so far (empty for a pending reply)."""
    parent_id: str | None = None
    """The message it follows (None for a first message); a new reply is the thread's
    active leaf."""

    @classmethod
    def of(cls, message: Message, *, owner_id: str) -> MessageCreated:
        return cls(
            owner_id=owner_id,
            thread_id=message.thread_id,
            message_id=message.id,
            role=message.role,
            status=message.status,
            text=message.text or "",
            parent_id=message.parent_id,
        )


class MessageDelta(_MessageEvent):
    """More text of a streaming reply. Live only: not in the outbox, not durable."""

    durable: ClassVar[bool] = False

    type: Literal["message.delta"] = "message.delta"
    seq: int = Field(ge=0)
    """Position of this delta in its message, from 0; a gap means a delta was missed."""
    text: str
    """The new text, to append to what came before."""


class Usage(BaseModel):
    """Tokens a reply cost."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: int = Field(default=0, ge=0)
    """Tokens sent to the model (prompt and history)."""
    output_tokens: int = Field(default=0, ge=0)
    """Tokens the model produced."""


class MessageCompleted(_MessageEvent):
    """A reply finished; `text` is its whole final text."""

    type: Literal["message.completed"] = "message.completed"
    text: str
    """The complete text of the reply."""
    usage: Usage = Field(default_factory=Usage)
    """Tokens the reply cost."""
    model_id: str | None = None
    """The catalog id of the model that wrote it (what threads store)."""
    model_name: str | None = None
    """The model that wrote it, as the provider names it."""

    @classmethod
    def of(cls, message: Message, *, owner_id: str) -> MessageCompleted:
        return cls(
            owner_id=owner_id,
            thread_id=message.thread_id,
            message_id=message.id,
            text=message.text or "",
            usage=Usage(
                input_tokens=message.input_tokens or 0, output_tokens=message.output_tokens or 0
            ),
            model_id=message.model_id,
            model_name=message.model_name,
        )


class MessageFailed(_MessageEvent):
    """A reply failed; `text` keeps what had streamed before the failure."""

    type: Literal["message.failed"] = "message.failed"
    error: str
    """What went wrong, safe to show to the user."""
    text: str = ""
    """The partial text written before the failure."""

    @classmethod
    def of(cls, message: Message, *, owner_id: str) -> MessageFailed:
        return cls(
            owner_id=owner_id,
            thread_id=message.thread_id,
            message_id=message.id,
            error=message.error or "The reply failed.",
            text=message.text or "",
        )


class MessageCancelled(_MessageEvent):
    """A reply was stopped by its user; `text` is what it had written by then."""

    type: Literal["message.cancelled"] = "message.cancelled"
    text: str = ""
    """The text written before the stop."""

    @classmethod
    def of(cls, message: Message, *, owner_id: str) -> MessageCancelled:
        return cls(
            owner_id=owner_id,
            thread_id=message.thread_id,
            message_id=message.id,
            text=message.text or "",
        )


Event: TypeAlias = Annotated[
    ThreadCreated
    | ThreadUpdated
    | ThreadDeleted
    | MessageCreated
    | MessageDelta
    | MessageCompleted
    | MessageFailed
    | MessageCancelled,
    Field(discriminator="type"),
]
"""Any event; `type` says which."""

EVENT_TYPES: tuple[str, ...] = get_args(EventType)
"""Every known `type`, in catalogue order."""

_adapter: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: bytes | str | dict[str, Any]) -> Event:
    """Read an event from JSON or a dict.

    Raises `UnknownEvent` for a `type` this code does not know, `InvalidEvent` for
    anything else that is not a valid event.
    """
    if isinstance(data, bytes | str):
        try:
            data = json.loads(data)
        except ValueError as exc:
            raise InvalidEvent(f"event is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InvalidEvent(f"event is not a JSON object: {type(data).__name__}")
    event_type = data.get("type")
    if event_type not in EVENT_TYPES:
        raise UnknownEvent(event_type)
    try:
        return _adapter.validate_python(data)
    except ValidationError as exc:
        raise InvalidEvent(f"invalid {event_type} event: {exc}") from exc
