"""The reader holds one conversation at a time: memory does not grow with the file."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

from py_core.portability import count_conversations, plan_upload, read_conversations


def _write_export(path: Path, conversations: int, turns: int) -> None:
    """A ChatGPT export written piece by piece (never whole in memory)."""
    with path.open("w") as file:
        file.write("[")
        for c in range(conversations):
            mapping: dict[str, object] = {"root": {"id": "root", "parent": None, "message": None}}
            parent = "root"
            for t in range(turns):
                key = f"n{t}"
                mapping[key] = {
                    "id": key,
                    "parent": parent,
                    "children": [],
                    "message": {
                        "author": {"role": "user" if t % 2 == 0 else "assistant"},
                        "create_time": 1_700_000_000 + c * 100 + t,
                        "content": {"content_type": "text", "parts": [f"words {t} " * 60]},
                    },
                }
                parent = key
            item = {
                "title": f"Chat {c}",
                "mapping": mapping,
                "current_node": parent,
                "conversation_id": f"c{c}",
                "create_time": 1_700_000_000 + c * 100,
            }
            file.write(("," if c else "") + json.dumps(item))
        file.write("]")


def test_reading_a_large_export_keeps_one_conversation_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "conversations.json"
    _write_export(path, conversations=600, turns=40)
    assert path.stat().st_size > 16_000_000
    tracemalloc.start()
    try:
        parts = plan_upload(path)
        assert count_conversations(path, parts) == 600
        read = 0
        for item in read_conversations(path, parts):
            assert item.conversation is not None
            assert len(item.conversation.messages) == 41
            read += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert read == 600
    # One conversation is about 28 KB of JSON; the whole file is over 16 MB.
    assert peak < 5_000_000, peak
