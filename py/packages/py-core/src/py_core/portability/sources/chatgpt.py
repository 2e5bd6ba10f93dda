"""ChatGPT's data export: `conversations.json`, a list of conversations.

Each has a `mapping` of nodes (`id`, `parent`, `children`, `message`) that is the
conversation's tree, and `current_node`, the leaf it shows. A message has an
`author.role`, `content` (`content_type` and `parts`, or per-type fields), a
`create_time` in seconds and `metadata.model_slug`.
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
from py_core.portability.sources._common import (
    as_dict,
    as_list,
    as_str,
    from_epoch,
    join_parts,
    note,
)

_ROLES = {"user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}


def recognises(item: Mapping[str, Any]) -> bool:
    return isinstance(item.get("mapping"), Mapping) and "current_node" in item


def parse(item: Mapping[str, Any]) -> ImportedConversation:
    source_id = as_str(item.get("conversation_id")) or as_str(item.get("id"))
    if not source_id:
        raise BadConversation("it has no id")
    messages: list[ImportedMessage] = []
    for key, node in as_dict(item.get("mapping")).items():
        node = as_dict(node)
        parent = node.get("parent")
        if parent is not None and not isinstance(parent, str):
            raise BadConversation(f"node {key!r} has a parent that is not an id")
        messages.append(_message(str(key), parent, as_dict(node.get("message"))))
    return ImportedConversation(
        source=ThreadSource.CHATGPT,
        source_id=source_id,
        title=as_str(item.get("title")) or "Imported chat",
        messages=messages,
        active_key=as_str(item.get("current_node")),
        created_at=from_epoch(item.get("create_time")),
        updated_at=from_epoch(item.get("update_time")),
        archived=item.get("is_archived") is True,
    )


def _message(key: str, parent: str | None, message: Mapping[str, Any]) -> ImportedMessage:
    author = as_dict(message.get("author"))
    role = as_str(author.get("role"))
    metadata = as_dict(message.get("metadata"))
    created = from_epoch(message.get("create_time"))
    base = ImportedMessage(
        key=key,
        parent_key=parent,
        role=MessageRole.ASSISTANT,
        text="",
        created_at=created,
        completed_at=created,
        model_name=as_str(metadata.get("model_slug")),
    )
    if not message or role == "system" or metadata.get("is_visually_hidden_from_conversation"):
        # The tree's root, and the system messages ChatGPT keeps for itself (custom
        # instructions, memory): never shown, so not imported.
        base.skip = True
        return base
    if role == "tool":
        # Browsing, code runs, image generation: their records are ChatGPT's own.
        name = as_str(author.get("name")) or "a tool"
        base.text = note(f"Output of {name}")
        return base
    base.role = _ROLES.get(role or "", MessageRole.ASSISTANT)
    base.text = _text(as_dict(message.get("content")))
    base.skip = not base.text.strip()
    return base


def _text(content: Mapping[str, Any]) -> str:
    kind = as_str(content.get("content_type")) or "unknown"
    if kind in ("text", "multimodal_text"):
        return join_parts([_part(part) for part in as_list(content.get("parts"))])
    if kind == "code":
        language = as_str(content.get("language")) or ""
        code = as_str(content.get("text")) or ""
        return f"```{'' if language == 'unknown' else language}\n{code}\n```" if code else ""
    if kind in ("thoughts", "reasoning_recap"):
        return note("Reasoning")
    if kind in ("user_editable_context", "model_editable_context"):
        return ""  # settings, not conversation
    return note(kind.replace("_", " ").capitalize())


def _part(part: object) -> str:
    if isinstance(part, str):
        return part
    data = as_dict(part)
    kind = as_str(data.get("content_type")) or "part"
    if kind == "audio_transcription":
        return as_str(data.get("text")) or ""
    if kind == "image_asset_pointer":
        return note("Image")
    if kind in ("audio_asset_pointer", "real_time_user_audio_video_asset_pointer"):
        return note("Audio")
    return note(kind.replace("_", " ").capitalize())
