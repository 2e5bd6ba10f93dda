"""Small hand-made exports in the shape of each service's real ones (never anyone's
data): branches, edits, parts we do not import, and odd cases."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

T0 = 1_730_000_000.0  # 2024-10-27


def chatgpt_conversation(
    conversation_id: str = "c-1", title: str = "Lisbon trip"
) -> dict[str, Any]:
    """A root, a hidden system message, a question asked twice (an edit), two replies to
    the second (a regeneration), an image part and a browsing record."""

    def node(
        key: str, parent: str | None, children: list[str], message: dict[str, Any] | None
    ) -> dict[str, Any]:
        return {"id": key, "parent": parent, "children": children, "message": message}

    def msg(key: str, role: str, parts: list[Any], t: float, **extra: Any) -> dict[str, Any]:
        content_type = "multimodal_text" if any(not isinstance(p, str) for p in parts) else "text"
        return {
            "id": key,
            "author": {"role": role, "name": extra.pop("name", None), "metadata": {}},
            "create_time": T0 + t,
            "update_time": None,
            "content": {"content_type": content_type, "parts": parts},
            "status": "finished_successfully",
            "end_turn": True,
            "weight": 1.0,
            "metadata": extra.pop("metadata", {}),
            "recipient": "all",
        }

    mapping = {
        "root": node("root", None, ["sys"], None),
        "sys": node(
            "sys",
            "root",
            ["q1", "q1b"],
            msg("sys", "system", [""], 0, metadata={"is_visually_hidden_from_conversation": True}),
        ),
        "q1": node("q1", "sys", ["a1"], msg("q1", "user", ["Where should I stay in Lisbon?"], 1)),
        "a1": node(
            "a1",
            "q1",
            [],
            msg("a1", "assistant", ["Alfama is lovely."], 2, metadata={"model_slug": "gpt-4o"}),
        ),
        "q1b": node(
            "q1b",
            "sys",
            ["a2", "a3"],
            msg(
                "q1b",
                "user",
                [
                    {"content_type": "image_asset_pointer", "asset_pointer": "file-service://x"},
                    "Where should I stay in Lisbon with kids?",
                ],
                3,
            ),
        ),
        "a2": node(
            "a2",
            "q1b",
            ["tool"],
            msg("a2", "assistant", ["Try Belém."], 4, metadata={"model_slug": "gpt-4o"}),
        ),
        "tool": node("tool", "a2", [], msg("tool", "tool", ["..."], 5, name="browser")),
        "a3": node(
            "a3",
            "q1b",
            [],
            msg(
                "a3",
                "assistant",
                ["Parque das Nações, near the oceanarium."],
                6,
                metadata={"model_slug": "gpt-4o-mini"},
            ),
        ),
    }
    return {
        "title": title,
        "create_time": T0,
        "update_time": T0 + 6,
        "mapping": mapping,
        "current_node": "a3",
        "conversation_id": conversation_id,
        "id": conversation_id,
        "is_archived": False,
        "default_model_slug": "gpt-4o",
    }


def claude_conversation(uuid: str = "cl-1", *, tree: bool = True) -> dict[str, Any]:
    """A linear conversation (older exports) or a tree with an edit (newer ones), with
    thinking, a tool call and an attachment."""
    root = "00000000-0000-4000-8000-000000000000"

    def msg(
        key: str, sender: str, parent: str, t: str, content: list[dict[str, Any]], **extra: Any
    ) -> dict[str, Any]:
        message = {
            "uuid": key,
            "text": " ".join(c.get("text", "") for c in content),
            "content": content,
            "sender": sender,
            "created_at": f"2024-11-0{t}T10:00:00.000000Z",
            "updated_at": f"2024-11-0{t}T10:00:01.000000Z",
            "attachments": extra.get("attachments", []),
            "files": [],
        }
        if tree:
            message["parent_message_uuid"] = parent
        return message

    messages = [
        msg(
            "h1",
            "human",
            root,
            "1",
            [{"type": "text", "text": "Explain monads briefly."}],
            attachments=[
                {
                    "file_name": "notes.txt",
                    "file_size": 10,
                    "file_type": "txt",
                    "extracted_content": "...",
                }
            ],
        ),
        msg(
            "r1",
            "assistant",
            "h1",
            "2",
            [
                {"type": "thinking", "thinking": "hmm"},
                {"type": "text", "text": "A monad wraps values with a bind."},
            ],
        ),
        msg("h2", "human", "r1", "3", [{"type": "text", "text": "An example in Python?"}]),
        msg(
            "r2",
            "assistant",
            "h2",
            "4",
            [
                {"type": "tool_use", "name": "repl", "input": {}},
                {"type": "text", "text": "Optional chaining is one."},
            ],
        ),
    ]
    conversation: dict[str, Any] = {
        "uuid": uuid,
        "name": "Monads",
        "summary": "",
        "created_at": "2024-11-01T10:00:00.000000Z",
        "updated_at": "2024-11-05T10:00:00.000000Z",
        "account": {"uuid": "acc"},
        "chat_messages": messages,
    }
    if tree:
        messages.append(
            msg("h2b", "human", "r1", "5", [{"type": "text", "text": "An example in Haskell?"}])
        )
        conversation["current_leaf_message_uuid"] = "r2"
    return conversation


def openwebui_chat(chat_id: str = "ow-1") -> dict[str, Any]:
    """A question with two answers (a regeneration, the first one shown) and a file."""
    messages = {
        "u1": {
            "id": "u1",
            "parentId": None,
            "childrenIds": ["m1", "m2"],
            "role": "user",
            "content": "Write a haiku about rain.",
            "timestamp": 1_731_000_000,
            "models": ["llama3.1:8b"],
            "files": [{"type": "file", "name": "rain.pdf"}],
        },
        "m1": {
            "id": "m1",
            "parentId": "u1",
            "childrenIds": [],
            "role": "assistant",
            "content": "Soft rain on the roof",
            "timestamp": 1_731_000_005,
            "model": "llama3.1:8b",
            "modelName": "Llama 3.1",
            "done": True,
            "usage": {"prompt_tokens": 12, "completion_tokens": 7},
        },
        "m2": {
            "id": "m2",
            "parentId": "u1",
            "childrenIds": [],
            "role": "assistant",
            "content": "Grey clouds whisper",
            "timestamp": 1_731_000_010,
            "model": "llama3.1:8b",
            "done": True,
        },
    }
    return {
        "id": chat_id,
        "user_id": "someone",
        "title": "Rain haiku",
        "chat": {
            "id": "",
            "title": "Rain haiku",
            "models": ["llama3.1:8b"],
            "history": {"messages": messages, "currentId": "m1"},
            "messages": list(messages.values()),
            "tags": [],
            "timestamp": 1_731_000_000_000,
        },
        "updated_at": 1_731_000_010,
        "created_at": 1_731_000_000,
        "share_id": None,
        "archived": False,
    }


def write_json(path: Path, value: Any) -> Path:
    path.write_text(json.dumps(value))
    return path


def write_zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path
