"""Files we cannot import are refused naming the problem; a broken conversation fails
alone and leaves nothing behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from py_core.context import Context
from py_core.database.models import Message, Thread, User
from py_core.portability import (
    ImportFileError,
    TruncatedFile,
    UnsupportedFormat,
    ZipBomb,
    count_conversations,
    plan_upload,
)

from .exports import chatgpt_conversation, write_json, write_zip
from .helpers import import_file


@pytest.mark.parametrize(
    ("content", "error", "words"),
    [
        (b"hello, world", UnsupportedFormat, "not an export we can read"),
        (b'[{"some": "thing"}]', UnsupportedFormat, "not an export we can read"),
        (b'{"format": "someone-else"}', UnsupportedFormat, "not an export we can read"),
        (b"", UnsupportedFormat, "not an export we can read"),
        (
            b'[{"title": "x", "mapping": {}, "current_node": null}, {"title": ',
            TruncatedFile,
            "truncated",
        ),
        (b'[{"title": "x", "mapping": {"a": ', TruncatedFile, "truncated"),
        (b"PK\x03\x04 then nothing", TruncatedFile, "incomplete"),
        (
            b'[{"title": "x", "mapping": {}, "current_node": null} oops]',
            ImportFileError,
            "not valid JSON",
        ),
    ],
)
def test_unreadable_files_name_the_problem(
    tmp_path: Path, content: bytes, error: type[Exception], words: str
) -> None:
    path = tmp_path / "upload"
    path.write_bytes(content)
    with pytest.raises(error, match=words):
        count_conversations(path, plan_upload(path))


def test_truncation_after_a_list_close_is_found_by_the_full_read(tmp_path: Path) -> None:
    whole = json.dumps([chatgpt_conversation("a"), chatgpt_conversation("b")])
    # Cut right after an inner `]`: the first item reads, the tail looks like a list's end.
    cut = whole[: whole.index("]", whole.rindex('"parts": [')) + 1]
    assert cut.endswith("]")
    path = tmp_path / "cut.json"
    path.write_text(cut)
    parts = plan_upload(path)
    with pytest.raises(TruncatedFile):
        count_conversations(path, parts)


def test_a_zip_bomb_is_refused_before_unpacking(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "bomb.zip", {"conversations.json": b"[" + b" " * 50_000_000 + b"]"})
    with pytest.raises(ZipBomb, match="zip bomb"):
        plan_upload(path)


def test_a_zip_with_nothing_we_read(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "x.zip", {"notes.txt": b"hi", "users.json": b'[{"uuid": 1}]'})
    with pytest.raises(UnsupportedFormat, match="Nothing in this zip"):
        plan_upload(path)


def test_a_damaged_zip_member(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "x.zip", {"conversations.json": json.dumps([chatgpt_conversation()]).encode()}
    )
    data = bytearray(path.read_bytes())
    data[60:90] = b"\x00" * 30  # inside the compressed member
    path.write_bytes(bytes(data))
    with pytest.raises(ImportFileError):
        count_conversations(path, plan_upload(path))


async def test_cycles_and_missing_parents_fail_alone(
    tmp_path: Path, ctx: Context, alice: User
) -> None:
    cycle = chatgpt_conversation("cycle", title="Cycle")
    cycle["mapping"]["q1"]["parent"] = "a1"  # q1 -> a1 -> q1
    missing = chatgpt_conversation("missing", title="Missing")
    missing["mapping"]["a3"]["parent"] = "nowhere"
    good = chatgpt_conversation("good", title="Good")
    path = write_json(tmp_path / "c.json", [cycle, missing, good])
    outcomes = await import_file(path, ctx.as_user(alice))
    assert outcomes[0] == "its messages form a cycle (through 'a1')"
    assert outcomes[1] == "message 'a3' answers 'nowhere', which is not in it"
    titles = list(await ctx.db.scalars(select(Thread.title).where(Thread.owner_id == alice.id)))
    assert titles == ["Good"]
    count = await ctx.db.scalar(select(func.count()).select_from(Message))
    assert count == 6  # the good conversation's messages only
