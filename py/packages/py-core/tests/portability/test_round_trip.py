"""Our JSON out and back in gives the same thread: every branch, the active leaf,
statuses, models, usage, timestamps, the model's history."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from py_core.chat import PostMessage, RegenerateReply, post_message, regenerate_reply
from py_core.context import Context
from py_core.database.models import Message, MessageStatus, Thread, ThreadSource, User
from py_core.database.utils import utcnow
from py_core.portability import ExportThread, Skipped, export_thread

from .exports import chatgpt_conversation, write_json
from .helpers import all_messages, import_file, threads_of


def _finish(reply: Message, text: str, *, status: MessageStatus = MessageStatus.COMPLETE) -> None:
    reply.status = status
    reply.text = text
    reply.model_id = "demo"
    reply.model_name = "offline-demo"
    reply.input_tokens, reply.output_tokens = 11, 22
    reply.completed_at = utcnow() + timedelta(seconds=1)
    reply.lease_expires_at = None
    reply.model_messages = [{"kind": "response", "parts": [{"part_kind": "text", "content": text}]}]
    if status is MessageStatus.FAILED:
        reply.error = "the provider said no"


async def _branchy_thread(ctx: Context) -> Thread:
    """Two versions of the second question, two replies to the last one (one failed)."""
    from py_core.chat import CreateThread, create_thread

    thread = await create_thread(CreateThread(title="Round trip", instructions="Be brief."), ctx)
    first = await post_message(PostMessage(thread_id=thread.id, content="one"), ctx)
    _finish(first.assistant_message, "ONE")
    second = await post_message(PostMessage(thread_id=thread.id, content="two"), ctx)
    _finish(second.assistant_message, "TWO")
    edit = await post_message(
        PostMessage(
            thread_id=thread.id, content="two, edited", parent_id=first.assistant_message.id
        ),
        ctx,
    )
    _finish(edit.assistant_message, "TWO EDITED", status=MessageStatus.FAILED)
    again = await regenerate_reply(
        RegenerateReply(thread_id=thread.id, message_id=edit.assistant_message.id), ctx
    )
    _finish(again, "TWO EDITED AGAIN")
    await ctx.db.flush()
    return thread


def _shape(thread: Thread, messages: list[Message]) -> dict[str, Any]:
    place = {m.id: i for i, m in enumerate(messages)}
    return {
        "title": thread.title,
        "instructions": thread.instructions,
        "created_at": thread.created_at,
        "active": place[thread.active_leaf_id or ""],
        "messages": [
            (
                place.get(m.parent_id or ""),
                m.role,
                m.status,
                m.text,
                m.model_id,
                m.model_name,
                m.input_tokens,
                m.output_tokens,
                m.error,
                m.created_at,
                m.completed_at,
                m.model_messages,
            )
            for m in messages
        ],
    }


async def test_export_then_import_gives_the_same_thread(
    tmp_path: Path, ctx: Context, alice: User, bob: User
) -> None:
    mine = ctx.as_user(alice)
    thread = await _branchy_thread(mine)
    exported = await export_thread(ExportThread(thread_id=thread.id, format="json"), mine)
    assert exported.filename == "round-trip.json"
    path = tmp_path / exported.filename
    path.write_bytes(exported.body)

    (copy,) = threads_of(await import_file(path, ctx.as_user(bob)))
    assert copy.owner_id == bob.id
    assert copy.id != thread.id
    assert copy.source is ThreadSource.PY_APP
    assert copy.source_id == thread.id
    assert _shape(copy, await all_messages(copy, ctx)) == _shape(
        thread, await all_messages(thread, ctx)
    )
    # Back into the account it came from: recognised, nothing new.
    (again,) = await import_file(path, mine)
    assert isinstance(again, Skipped)
    assert again.thread_id == thread.id


async def test_an_imported_thread_keeps_its_first_source(
    tmp_path: Path, ctx: Context, alice: User, bob: User
) -> None:
    path = write_json(tmp_path / "c.json", [chatgpt_conversation()])
    (imported,) = threads_of(await import_file(path, ctx.as_user(alice)))
    exported = await export_thread(
        ExportThread(thread_id=imported.id, format="json"), ctx.as_user(alice)
    )
    assert json.loads(exported.body)["thread"]["source"] == {"kind": "chatgpt", "id": "c-1"}
    ours = tmp_path / "ours.json"
    ours.write_bytes(exported.body)
    # Bob imports Alice's copy, then the original: the same conversation, once.
    (copy,) = threads_of(await import_file(ours, ctx.as_user(bob)))
    assert copy.source is ThreadSource.CHATGPT
    (second,) = await import_file(path, ctx.as_user(bob))
    assert isinstance(second, Skipped)


async def test_markdown_is_the_branch_shown(ctx: Context, alice: User) -> None:
    mine = ctx.as_user(alice)
    thread = await _branchy_thread(mine)
    markdown = (
        await export_thread(ExportThread(thread_id=thread.id, format="markdown"), mine)
    ).body
    text = markdown.decode()
    assert text.startswith("# Round trip\n\nStarted ")
    assert "two, edited" in text
    assert "TWO EDITED AGAIN" in text
    assert "\nTWO\n" not in text
    assert "the provider said no" not in text
    assert "## Assistant · " in text
    assert " · offline-demo\n" in text
