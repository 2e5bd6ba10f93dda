"""Claude's data export: `conversations.json`, a list of conversations.

Each has a `uuid`, a `name` and `chat_messages`, in order. A message has a `sender`
(`human` or `assistant`), `content` blocks (`text`, `thinking`, `tool_use`,
`tool_result`; older exports only `text`), `attachments` and `files`, and ISO
timestamps. Newer exports name each message's `parent_message_uuid` and the
conversation's `current_leaf_message_uuid` (its branches); without them the messages
are one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from py_core.database.models import MessageRole, ThreadSource
from py_core.portability._conversation import (
    BadConversation,
    ImportedConversation,
    ImportedMessage,
)
from py_core.portability.sources._common import as_dict, as_list, as_str, from_iso, join_parts, note

ROOT = "00000000-0000-4000-8000-000000000000"
"""The parent Claude gives a first message."""

_ROLES = {"human": MessageRole.USER, "assistant": MessageRole.ASSISTANT}


def recognises(item: Mapping[str, Any]) -> bool:
    return isinstance(item.get("chat_messages"), list) and "uuid" in item


def parse(item: Mapping[str, Any]) -> ImportedConversation:
    source_id = as_str(item.get("uuid"))
    if not source_id:
        raise BadConversation("it has no uuid")
    raw = [as_dict(m) for m in as_list(item.get("chat_messages"))]
    tree = any("parent_message_uuid" in m for m in raw)
    messages: list[ImportedMessage] = []
    previous: str | None = None
    for index, message in enumerate(raw):
        key = as_str(message.get("uuid")) or f"#{index}"
        if tree:
            parent = as_str(message.get("parent_message_uuid"))
            parent = None if parent in (None, ROOT) else parent
        else:
            parent = previous
        messages.append(_message(key, parent, message))
        previous = key
    return ImportedConversation(
        source=ThreadSource.CLAUDE,
        source_id=source_id,
        title=as_str(item.get("name")) or "Imported chat",
        messages=messages,
        active_key=as_str(item.get("current_leaf_message_uuid")) or previous,
        created_at=from_iso(item.get("created_at")),
        updated_at=from_iso(item.get("updated_at")),
    )


def _message(key: str, parent: str | None, message: Mapping[str, Any]) -> ImportedMessage:
    sender = as_str(message.get("sender")) or ""
    if sender not in _ROLES:
        raise BadConversation(f"message {key!r} has an unknown sender {sender!r}")
    blocks = as_list(message.get("content"))
    parts = [_block(as_dict(b)) for b in blocks] if blocks else [as_str(message.get("text")) or ""]
    for attachment in [*as_list(message.get("attachments")), *as_list(message.get("files"))]:
        name = as_str(as_dict(attachment).get("file_name")) or "a file"
        parts.append(note(f"Attachment {name}"))
    created = from_iso(message.get("created_at"))
    text = join_parts(parts)
    return ImportedMessage(
        key=key,
        parent_key=parent,
        role=_ROLES[sender],
        text=text,
        created_at=created,
        completed_at=from_iso(message.get("updated_at")) or created,
        skip=not text.strip(),
    )


def _block(block: Mapping[str, Any]) -> str:
    kind = as_str(block.get("type")) or "block"
    if kind == "text":
        return as_str(block.get("text")) or ""
    if kind == "thinking":
        return note("Thinking")
    if kind == "tool_use":
        return note(f"Tool call {as_str(block.get('name')) or ''}".strip())
    if kind == "tool_result":
        return note("Tool result")
    return note(kind.replace("_", " ").capitalize())
