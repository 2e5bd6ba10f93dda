"""Each source's export becomes threads with its branches, its active leaf, its
timestamps and a note for each part we do not import; on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from py_core.chat import SearchThreads, search_threads
from py_core.context import Context
from py_core.database.models import MessageRole, ThreadSource, User
from py_core.portability import Skipped

from .exports import (
    T0,
    chatgpt_conversation,
    claude_conversation,
    openwebui_chat,
    write_json,
    write_zip,
)
from .helpers import active_texts, all_messages, import_file, threads_of


async def test_chatgpt_mapping_becomes_the_tree(tmp_path: Path, ctx: Context, alice: User) -> None:
    path = write_json(tmp_path / "conversations.json", [chatgpt_conversation()])
    (thread,) = threads_of(await import_file(path, ctx.as_user(alice)))
    assert thread.source is ThreadSource.CHATGPT
    assert thread.source_id == "c-1"
    assert thread.title == "Lisbon trip"
    assert thread.created_at.timestamp() == T0
    messages = await all_messages(thread, ctx)
    by_text = {m.text.split("\n")[-1]: m for m in messages}
    # Root and hidden system message skipped: both questions are first messages.
    first = by_text["Where should I stay in Lisbon?"]
    edit = by_text["Where should I stay in Lisbon with kids?"]
    assert first.parent_id is None
    assert edit.parent_id is None
    assert edit.text.startswith("*[Image not imported]*")
    # Two replies to the edit: a regeneration, ordered by their time.
    replies = [m for m in messages if m.parent_id == edit.id]
    assert [m.text for m in replies] == ["Try Belém.", "Parque das Nações, near the oceanarium."]
    assert replies[1].model_name == "gpt-4o-mini"
    # The browsing record is a note, not dropped silently.
    (tool,) = [m for m in messages if m.parent_id == replies[0].id]
    assert tool.text == "*[Output of browser not imported]*"
    # current_node is the active leaf.
    assert thread.active_leaf_id == replies[1].id
    assert await active_texts(thread, ctx.as_user(alice)) == [
        edit.text,
        "Parque das Nações, near the oceanarium.",
    ]
    # Every id sorts after its parent's (uuid7 in tree order).
    ids = {m.id: m for m in messages}
    assert all(m.parent_id is None or m.parent_id < m.id for m in ids.values())
    assert replies[1].created_at.timestamp() == T0 + 6
    # The model hears an imported reply's turn when the chat goes on here.
    assert replies[1].model_messages is not None
    assert len(replies[1].model_messages) == 2


async def test_claude_tree_and_linear_exports(tmp_path: Path, ctx: Context, alice: User) -> None:
    path = write_json(
        tmp_path / "conversations.json",
        [claude_conversation("tree"), claude_conversation("line", tree=False)],
    )
    tree, line = threads_of(await import_file(path, ctx.as_user(alice)))
    assert tree.source is ThreadSource.CLAUDE
    texts = await active_texts(tree, ctx.as_user(alice))
    assert texts[0] == "Explain monads briefly.\n\n*[Attachment notes.txt not imported]*"
    assert texts[1] == "*[Thinking not imported]*\n\nA monad wraps values with a bind."
    assert texts[-1] == "*[Tool call repl not imported]*\n\nOptional chaining is one."
    messages = await all_messages(tree, ctx)
    edits = [m for m in messages if m.role is MessageRole.USER and "example" in m.text]
    assert len(edits) == 2
    assert edits[0].parent_id == edits[1].parent_id
    assert len(await active_texts(line, ctx.as_user(alice))) == 4


async def test_open_webui_history(tmp_path: Path, ctx: Context, alice: User) -> None:
    path = write_json(tmp_path / "chat-export.json", [openwebui_chat()])
    (thread,) = threads_of(await import_file(path, ctx.as_user(alice)))
    assert thread.source is ThreadSource.OPEN_WEBUI
    messages = await all_messages(thread, ctx)
    question, first, second = messages
    assert question.text == "Write a haiku about rain.\n\n*[File rain.pdf not imported]*"
    assert first.parent_id == second.parent_id == question.id
    assert thread.active_leaf_id == first.id  # currentId, although not the newest
    assert (first.input_tokens, first.output_tokens, first.model_name) == (12, 7, "Llama 3.1")


async def test_recognised_by_content_in_a_zip(tmp_path: Path, ctx: Context, alice: User) -> None:
    import json

    path = write_zip(
        tmp_path / "export.bin",
        {
            "data/chats.json": json.dumps([chatgpt_conversation()]).encode(),
            "users.json": json.dumps([{"uuid": "u", "full_name": "A"}]).encode(),
            "image.png": b"\x89PNG....",
        },
    )
    (thread,) = threads_of(await import_file(path, ctx.as_user(alice)))
    assert thread.source is ThreadSource.CHATGPT


async def test_imported_threads_are_searchable(tmp_path: Path, ctx: Context, alice: User) -> None:
    path = write_json(tmp_path / "c.json", [chatgpt_conversation()])
    (thread,) = threads_of(await import_file(path, ctx.as_user(alice)))
    (hit,) = await search_threads(SearchThreads(query="oceanarium"), ctx.as_user(alice))
    assert hit.thread.id == thread.id
    assert hit.message_id is not None


async def test_importing_twice_creates_nothing_new(
    tmp_path: Path, ctx: Context, alice: User, bob: User
) -> None:
    path = write_json(tmp_path / "c.json", [chatgpt_conversation(), openwebui_chat()])
    first = threads_of(await import_file(path, ctx.as_user(alice)))
    again = await import_file(path, ctx.as_user(alice))
    assert [o.reason for o in again if isinstance(o, Skipped)] == ["already imported"] * 2
    assert {o.thread_id for o in again if isinstance(o, Skipped)} == {t.id for t in first}
    # Source ids are per owner: Bob imports the same file for himself.
    assert len(threads_of(await import_file(path, ctx.as_user(bob)))) == 2
