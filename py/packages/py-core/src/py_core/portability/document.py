"""Our own format: one thread, lossless (every branch, the active leaf, models, usage,
statuses, timestamps, and the pydantic-ai messages the model hears as history).

```json
{"format": "py-app.thread", "version": 1, "exported_at": "2026-12-01T12:00:00+00:00",
 "thread": {"id": "...", "title": "Trip", "model": "demo", "instructions": null,
            "archived": false, "created_at": "...", "updated_at": "...",
            "last_activity_at": "...", "active_leaf_id": "...", "source": null},
 "messages": [{"id": "...", "parent_id": null, "role": "user", "status": "complete",
               "text": "Hello", "model": null, "model_name": null, "usage": null,
               "error": null, "created_at": "...", "completed_at": "...",
               "model_messages": null}, ...]}
```

Messages are in id order, so a parent always comes before its children.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Final

from py_core.database.models import (
    Message,
    MessageRole,
    MessageStatus,
    Thread,
    ThreadSource,
    ThreadStatus,
)
from py_core.database.utils import utcnow
from py_core.portability._conversation import (
    BadConversation,
    ImportedConversation,
    ImportedMessage,
)
from py_core.portability.sources._common import as_dict, as_int, as_list, as_str, from_iso

THREAD_FORMAT: Final = "py-app.thread"
EXPORT_FORMAT: Final = "py-app.export"
"""The `index.json` of an account's export zip."""
VERSION: Final = 1


def thread_document(thread: Thread, messages: Iterable[Message]) -> dict[str, Any]:
    """The thread and all its messages (pass them in id order) in our format."""
    source = (
        {"kind": thread.source.value, "id": thread.source_id} if thread.source is not None else None
    )
    return {
        "format": THREAD_FORMAT,
        "version": VERSION,
        "exported_at": _iso(utcnow()),
        "thread": {
            "id": thread.id,
            "title": thread.title,
            "model": thread.model_id,
            "instructions": thread.instructions,
            "archived": thread.status is ThreadStatus.ARCHIVED,
            "created_at": _iso(thread.created_at),
            "updated_at": _iso(thread.updated_at),
            "last_activity_at": _iso(thread.last_activity_at),
            "active_leaf_id": thread.active_leaf_id,
            "source": source,
        },
        "messages": [_message(m) for m in messages],
    }


def _message(message: Message) -> dict[str, Any]:
    usage = None
    if message.input_tokens is not None or message.output_tokens is not None:
        usage = {"input_tokens": message.input_tokens, "output_tokens": message.output_tokens}
    return {
        "id": message.id,
        "parent_id": message.parent_id,
        "role": message.role.value,
        "status": message.status.value,
        "text": message.text,
        "model": message.model_id,
        "model_name": message.model_name,
        "usage": usage,
        "error": message.error,
        "created_at": _iso(message.created_at),
        "completed_at": _iso(message.completed_at),
        "model_messages": message.model_messages,
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def recognises(item: Mapping[str, Any]) -> bool:
    return item.get("format") == THREAD_FORMAT


def parse(item: Mapping[str, Any]) -> ImportedConversation:
    """A thread document back into a conversation to import."""
    version = item.get("version")
    if version != VERSION:
        raise BadConversation(f"it is version {version!r} of our format; this server reads 1")
    thread = as_dict(item.get("thread"))
    thread_id = as_str(thread.get("id"))
    if not thread_id:
        raise BadConversation("its thread has no id")
    source = as_dict(thread.get("source"))
    kind, origin_id = as_str(source.get("kind")), as_str(source.get("id"))
    try:
        origin = ThreadSource(kind) if kind else None
    except ValueError:
        origin = None
    messages = [_imported(as_dict(m), i) for i, m in enumerate(as_list(item.get("messages")))]
    return ImportedConversation(
        # A thread imported here once keeps its first origin: importing it again, from
        # whichever file, is recognised as the same conversation.
        source=origin if origin and origin_id else ThreadSource.PY_APP,
        source_id=origin_id if origin and origin_id else thread_id,
        title=as_str(thread.get("title")) or "Imported chat",
        messages=messages,
        active_key=as_str(thread.get("active_leaf_id")),
        created_at=from_iso(thread.get("created_at")),
        updated_at=from_iso(thread.get("last_activity_at")),
        model_id=as_str(thread.get("model")),
        instructions=as_str(thread.get("instructions")),
        archived=thread.get("archived") is True,
        original_thread_id=thread_id,
    )


def _imported(message: Mapping[str, Any], index: int) -> ImportedMessage:
    key = as_str(message.get("id")) or f"#{index}"
    try:
        role = MessageRole(str(message.get("role")))
        status = MessageStatus(str(message.get("status", "complete")))
    except ValueError:
        raise BadConversation(f"message {key!r} has an unknown role or status") from None
    error = as_str(message.get("error"))
    if not status.is_final:
        # It was being written when exported; here nobody is writing it.
        status, error = MessageStatus.FAILED, "interrupted (unfinished in the export)"
    usage = as_dict(message.get("usage"))
    stored = message.get("model_messages")
    return ImportedMessage(
        key=key,
        parent_key=as_str(message.get("parent_id")),
        role=role,
        text=as_str(message.get("text")) or "",
        created_at=from_iso(message.get("created_at")),
        completed_at=from_iso(message.get("completed_at")),
        status=status,
        error=error,
        model_id=as_str(message.get("model")),
        model_name=as_str(message.get("model_name")),
        input_tokens=as_int(usage.get("input_tokens")),
        output_tokens=as_int(usage.get("output_tokens")),
        model_messages=stored if isinstance(stored, list) else None,
    )
