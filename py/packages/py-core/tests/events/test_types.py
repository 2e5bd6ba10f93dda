"""Event payloads: one adapter reads them all; unknown or broken ones give clear errors."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from py_core.database.models import Message, MessageRole, MessageStatus, Thread, ThreadStatus
from py_core.events import (
    EVENT_TYPES,
    Event,
    InvalidEvent,
    MessageCancelled,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    ThreadCreated,
    ThreadDeleted,
    ThreadUpdated,
    UnknownEvent,
    Usage,
    parse_event,
)

OWNER, THREAD, MESSAGE = "owner-1", "thread-1", "message-1"

EXAMPLES: list[Event] = [
    ThreadCreated(owner_id=OWNER, thread_id=THREAD, title="Hello"),
    ThreadUpdated(owner_id=OWNER, thread_id=THREAD, title="Renamed", archived=True),
    ThreadDeleted(owner_id=OWNER, thread_id=THREAD),
    MessageCreated(
        owner_id=OWNER,
        thread_id=THREAD,
        message_id=MESSAGE,
        role=MessageRole.USER,
        status=MessageStatus.COMPLETE,
        text="Hi",
    ),
    MessageDelta(owner_id=OWNER, thread_id=THREAD, message_id=MESSAGE, seq=3, text="lo"),
    MessageCompleted(
        owner_id=OWNER,
        thread_id=THREAD,
        message_id=MESSAGE,
        text="Hello",
        usage=Usage(input_tokens=12, output_tokens=5),
        model_name="demo",
    ),
    MessageFailed(owner_id=OWNER, thread_id=THREAD, message_id=MESSAGE, error="boom", text="He"),
    MessageCancelled(owner_id=OWNER, thread_id=THREAD, message_id=MESSAGE, text="Hel"),
]


def test_every_type_has_an_example() -> None:
    assert sorted(e.type for e in EXAMPLES) == sorted(EVENT_TYPES)


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.type)
def test_round_trip_through_json_bytes_and_dict(event: Event) -> None:
    text = event.model_dump_json()
    assert parse_event(text) == event
    assert parse_event(text.encode()) == event
    assert parse_event(json.loads(text)) == event


def test_every_event_has_a_uuid7_id_and_an_aware_time() -> None:
    first, second = (ThreadDeleted(owner_id=OWNER, thread_id=THREAD) for _ in range(2))
    assert first.id != second.id
    assert first.id < second.id  # uuid7: time-ordered
    assert first.id[14] == "7"
    assert first.occurred_at.tzinfo is not None


def test_only_deltas_are_live_only() -> None:
    assert [e.type for e in EXAMPLES if not e.durable] == ["message.delta"]


def test_an_unknown_type_is_a_clear_error() -> None:
    with pytest.raises(UnknownEvent, match=r"unknown event type 'thread\.exploded'") as info:
        parse_event({"type": "thread.exploded", "owner_id": OWNER, "thread_id": THREAD})
    assert info.value.event_type == "thread.exploded"
    with pytest.raises(UnknownEvent):
        parse_event({"owner_id": OWNER})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        ('{"type": "message.delta", "owner_id": "o", "thread_id": "t"}', "message_id"),
        (
            '{"type": "message.delta", "owner_id": "o", "thread_id": "t", "message_id": "m",'
            ' "seq": -1, "text": ""}',
            "seq",
        ),
        (
            '{"type": "thread.deleted", "owner_id": "o", "thread_id": "t",'
            ' "occurred_at": "2026-01-01T00:00:00"}',
            "occurred_at",
        ),
    ],
)
def test_a_broken_event_is_a_clear_error(data: str, message: str) -> None:
    with pytest.raises(InvalidEvent, match=message):
        parse_event(data)


def test_events_are_built_from_models() -> None:
    thread = Thread(
        id=THREAD, owner_id=OWNER, title="T", model_id="demo", status=ThreadStatus.ARCHIVED
    )
    assert ThreadCreated.of(thread).model_dump(include={"thread_id", "owner_id", "title"}) == {
        "thread_id": THREAD,
        "owner_id": OWNER,
        "title": "T",
    }
    assert ThreadUpdated.of(thread).archived is True
    assert ThreadDeleted.of(thread).thread_id == THREAD
    message = Message(
        id=MESSAGE,
        thread_id=THREAD,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.COMPLETE,
        text="Done",
        input_tokens=7,
        output_tokens=2,
        model_name="demo",
        error="late",
        completed_at=datetime.now().astimezone(),
    )
    completed = MessageCompleted.of(message, owner_id=OWNER)
    assert (completed.text, completed.usage, completed.model_name) == (
        "Done",
        Usage(input_tokens=7, output_tokens=2),
        "demo",
    )
    created = MessageCreated.of(message, owner_id=OWNER)
    assert parse_event(created.model_dump_json()) == created
    assert created.role is MessageRole.ASSISTANT
    assert MessageFailed.of(message, owner_id=OWNER).error == "late"
    assert MessageCancelled.of(message, owner_id=OWNER).text == "Done"
