"""Threads as trees: edits, regenerated replies, switching branches, the branch shown."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from sqlalchemy import select

from py_core.ai_ml.providers import UnknownModel
from py_core.chat import (
    CreateThread,
    ListMessages,
    PostedTurn,
    PostMessage,
    RegenerateReply,
    SearchThreads,
    SwitchBranch,
    create_thread,
    list_messages,
    post_message,
    regenerate_reply,
    search_threads,
    switch_branch,
)
from py_core.context import Context
from py_core.database.models import Message, MessageStatus, OutboxEvent, Thread, User
from py_core.errors import Conflict, InvalidInput, NotFound
from py_core_testing.models import catalog_of, text_model


@pytest.fixture
def me(ctx: Context, alice: User) -> Context:
    return ctx.as_user(alice)


@pytest.fixture
async def thread(me: Context) -> Thread:
    return await create_thread(CreateThread(), me)


async def _turn(me: Context, thread: Thread, text: str, **where: str | None) -> PostedTurn:
    """Post, and finish the reply at once (the runner is not part of these tests)."""
    turn = await post_message(PostMessage(thread_id=thread.id, content=text, **where), me)
    _finish(turn.assistant_message, f"re: {text}")
    await me.db.flush()
    return turn


def _finish(reply: Message, text: str) -> None:
    reply.status, reply.text = MessageStatus.COMPLETE, text


async def _shown(me: Context, thread: Thread) -> list[str]:
    page = await list_messages(ListMessages(thread_id=thread.id), me)
    return [m.text for m in page.items]


async def test_posts_follow_the_active_leaf(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "one")
    two = await _turn(me, thread, "two")
    assert one.user_message.parent_id is None
    assert one.assistant_message.parent_id == one.user_message.id
    assert two.user_message.parent_id == one.assistant_message.id
    assert thread.active_leaf_id == two.assistant_message.id
    assert await _shown(me, thread) == ["one", "re: one", "two", "re: two"]


async def test_an_edit_is_a_sibling_and_both_versions_stay(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "one")
    await _turn(me, thread, "two")
    edit = await _turn(me, thread, "two, edited", parent_id=one.assistant_message.id)
    page = await list_messages(ListMessages(thread_id=thread.id), me)
    assert [m.text for m in page.items] == ["one", "re: one", "two, edited", "re: two, edited"]
    siblings = page.siblings[edit.user_message.id]
    assert (siblings.index, siblings.count) == (1, 2)
    assert page.siblings[one.user_message.id].count == 1
    assert page.siblings[edit.assistant_message.id].ids == [edit.assistant_message.id]


async def test_editing_the_first_message_starts_a_new_root(me: Context, thread: Thread) -> None:
    first = await _turn(me, thread, "first")
    again = await _turn(me, thread, "first, again", parent_id=None)
    assert again.user_message.parent_id is None
    page = await list_messages(ListMessages(thread_id=thread.id), me)
    assert page.siblings[again.user_message.id].ids == [
        first.user_message.id,
        again.user_message.id,
    ]


async def test_a_parent_must_be_a_reply_of_this_thread(
    me: Context, thread: Thread, bob: User
) -> None:
    one = await _turn(me, thread, "one")
    other = await create_thread(CreateThread(), me)
    elsewhere = await _turn(me, other, "elsewhere")
    with pytest.raises(NotFound):
        await _turn(me, thread, "x", parent_id=elsewhere.assistant_message.id)
    with pytest.raises(InvalidInput, match="follows a reply"):
        await _turn(me, thread, "x", parent_id=one.user_message.id)
    bobs = PostMessage(thread_id=thread.id, content="x", parent_id=one.assistant_message.id)
    with pytest.raises(NotFound):
        await post_message(bobs, me.as_user(bob))


async def test_regenerate_adds_a_sibling_reply(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "one")
    again = await regenerate_reply(
        RegenerateReply(thread_id=thread.id, message_id=one.assistant_message.id), me
    )
    assert again.status is MessageStatus.PENDING
    assert again.parent_id == one.user_message.id
    assert thread.active_leaf_id == again.id
    page = await list_messages(ListMessages(thread_id=thread.id), me)
    assert [m.id for m in page.items] == [one.user_message.id, again.id]
    assert page.siblings[again.id].ids == [one.assistant_message.id, again.id]
    # One reply at a time per thread, for regenerations too.
    with pytest.raises(Conflict):
        await regenerate_reply(RegenerateReply(thread_id=thread.id, message_id=again.id), me)
    with pytest.raises(Conflict):
        await post_message(PostMessage(thread_id=thread.id, content="more"), me)


async def test_a_user_message_cannot_be_regenerated(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "one")
    with pytest.raises(InvalidInput, match="Only a reply"):
        await regenerate_reply(
            RegenerateReply(thread_id=thread.id, message_id=one.user_message.id), me
        )


async def test_regenerate_with_another_model(me: Context) -> None:
    me.models = catalog_of({"fast": text_model("a"), "slow": text_model("b")})
    thread = await create_thread(CreateThread(model_id="fast"), me)
    one = await _turn(me, thread, "one")
    params = RegenerateReply(thread_id=thread.id, message_id=one.assistant_message.id)
    with pytest.raises(UnknownModel):
        await regenerate_reply(replace(params, model_id="nope"), me)
    await regenerate_reply(replace(params, model_id="slow"), me)
    assert thread.model_id == "slow"


async def test_switch_shows_the_newest_leaf_under_a_message(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "one")
    await _turn(me, thread, "two")
    await _turn(me, thread, "three")
    edit = await _turn(me, thread, "two, edited", parent_id=one.assistant_message.id)
    # Back to the first version of "two": its branch down to "three" is shown again.
    first_two = (await me.db.scalars(select(Message).where(Message.text == "two"))).one()
    await switch_branch(SwitchBranch(thread_id=thread.id, message_id=first_two.id), me)
    assert await _shown(me, thread) == ["one", "re: one", "two", "re: two", "three", "re: three"]
    # Switching to a message in the middle keeps the newest leaf under it.
    await switch_branch(SwitchBranch(thread_id=thread.id, message_id=one.user_message.id), me)
    assert thread.active_leaf_id == edit.assistant_message.id
    events = list(
        await me.db.scalars(select(OutboxEvent).where(OutboxEvent.type == "thread.updated"))
    )
    assert json.loads(events[-1].payload)["active_leaf_id"] == edit.assistant_message.id


async def test_switch_to_another_users_message_is_not_found(
    me: Context, thread: Thread, bob: User
) -> None:
    one = await _turn(me, thread, "one")
    with pytest.raises(NotFound):
        await switch_branch(
            SwitchBranch(thread_id=thread.id, message_id=one.user_message.id), me.as_user(bob)
        )
    with pytest.raises(NotFound):
        await switch_branch(SwitchBranch(thread_id=thread.id, message_id=thread.id), me)


async def test_the_branch_is_paged_from_the_leaf_back(me: Context, thread: Thread) -> None:
    for i in range(5):
        await _turn(me, thread, f"q{i}")
    one = (await me.db.scalars(select(Message).where(Message.text == "re: q0"))).one()
    await _turn(me, thread, "fork", parent_id=one.id)
    pages: list[list[str]] = []
    before = None
    while True:
        page = await list_messages(ListMessages(thread_id=thread.id, limit=3, before=before), me)
        pages.append([m.text for m in page.items])
        if page.next_cursor is None:
            break
        before = page.next_cursor
    assert pages == [["re: q0", "fork", "re: fork"], ["q0"]]


async def test_search_finds_text_on_every_branch(me: Context, thread: Thread) -> None:
    one = await _turn(me, thread, "about trains")
    edit = await _turn(me, thread, "about zeppelins", parent_id=None)
    await switch_branch(SwitchBranch(thread_id=thread.id, message_id=one.user_message.id), me)
    (hit,) = await search_threads(SearchThreads(query="zeppelins"), me)
    assert (hit.thread.id, hit.message_id) == (thread.id, edit.assistant_message.id)
    (by_title,) = await search_threads(SearchThreads(query="new chat"), me)
    assert by_title.message_id is None
