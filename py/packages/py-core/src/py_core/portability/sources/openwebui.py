"""Open WebUI's chat export: a JSON list of chats (one or all of them).

Each has an `id`, a `title` and a `chat` whose `history` holds the tree: `messages` by
id (`parentId`, `childrenIds`, `role`, `content`, `timestamp` in seconds, `model`,
`usage`, `done`, `error`, `files`) and `currentId`, the leaf it shows. Older exports
have only the list `chat.messages`, each naming its `parentId`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from py_core.database.models import MessageRole, MessageStatus, ThreadSource
from py_core.portability._conversation import (
    BadConversation,
    ImportedConversation,
    ImportedMessage,
)
from py_core.portability.sources._common import (
    as_dict,
    as_int,
    as_list,
    as_str,
    from_epoch,
    join_parts,
    note,
)

_ROLES = {
    "user": MessageRole.USER,
    "assistant": MessageRole.ASSISTANT,
    "system": MessageRole.SYSTEM,
}


def recognises(item: Mapping[str, Any]) -> bool:
    chat = item.get("chat")
    return isinstance(chat, Mapping) and ("history" in chat or "messages" in chat)


def parse(item: Mapping[str, Any]) -> ImportedConversation:
    source_id = as_str(item.get("id"))
    if not source_id:
        raise BadConversation("it has no id")
    chat = as_dict(item.get("chat"))
    history = as_dict(chat.get("history"))
    by_id = as_dict(history.get("messages"))
    raw = list(by_id.values()) if by_id else as_list(chat.get("messages"))
    messages = [_message(as_dict(m), index) for index, m in enumerate(raw)]
    return ImportedConversation(
        source=ThreadSource.OPEN_WEBUI,
        source_id=source_id,
        title=as_str(item.get("title")) or as_str(chat.get("title")) or "Imported chat",
        messages=messages,
        active_key=as_str(history.get("currentId")),
        created_at=from_epoch(item.get("created_at")),
        updated_at=from_epoch(item.get("updated_at")),
        archived=item.get("archived") is True,
    )


def _message(message: Mapping[str, Any], index: int) -> ImportedMessage:
    key = as_str(message.get("id")) or f"#{index}"
    role = as_str(message.get("role")) or ""
    if role not in _ROLES:
        raise BadConversation(f"message {key!r} has an unknown role {role!r}")
    parts = [as_str(message.get("content")) or ""]
    for file in as_list(message.get("files")):
        file = as_dict(file)
        name = as_str(file.get("name")) or as_str(as_dict(file.get("file")).get("filename"))
        parts.append(note(f"File {name}" if name else "File"))
    usage = as_dict(message.get("usage"))
    error = message.get("error")
    status = MessageStatus.COMPLETE
    reason = None
    if error:
        status = MessageStatus.FAILED
        reason = as_str(as_dict(error).get("content")) or as_str(error) or "failed"
    elif role == "assistant" and message.get("done") is False:
        status, reason = MessageStatus.FAILED, "interrupted (unfinished in the export)"
    created = from_epoch(message.get("timestamp"))
    text = join_parts(parts)
    return ImportedMessage(
        key=key,
        parent_key=as_str(message.get("parentId")),
        role=_ROLES[role],
        text=text,
        created_at=created,
        completed_at=created,
        status=status,
        error=reason,
        model_name=as_str(message.get("modelName")) or as_str(message.get("model")),
        input_tokens=as_int(usage.get("prompt_tokens", usage.get("input_tokens"))),
        output_tokens=as_int(usage.get("completion_tokens", usage.get("output_tokens"))),
        skip=not text.strip() and status is MessageStatus.COMPLETE,
    )
