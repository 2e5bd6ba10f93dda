import pytest

from py_core.chat import (
    CancelTurn,
    CreateThread,
    PostMessage,
    UpdateThread,
    cancel_turn,
    create_thread,
    post_message,
    update_thread,
)
from py_core.context import Context
from py_core.database.models import MessageRole, MessageStatus, Thread, User
from py_core.errors import Conflict, InvalidInput, NotFound
from py_core.limits import MAX_CONTENT


@pytest.fixture
async def thread(ctx: Context, alice: User) -> Thread:
    return await create_thread(CreateThread(), ctx.as_user(alice))


async def test_post_stores_the_message_and_a_pending_reply(
    ctx: Context, alice: User, thread: Thread
) -> None:
    before = thread.last_activity_at
    turn = await post_message(
        PostMessage(thread_id=thread.id, content="  Hello  "), ctx.as_user(alice)
    )
    assert turn.user_message.text == "Hello"
    assert turn.user_message.role is MessageRole.USER
    assert turn.user_message.status is MessageStatus.COMPLETE
    reply = turn.assistant_message
    assert reply.role is MessageRole.ASSISTANT
    assert reply.status is MessageStatus.PENDING
    assert reply.lease_expires_at is not None
    assert turn.user_message.id < reply.id
    assert thread.last_activity_at >= before


async def test_one_turn_at_a_time(ctx: Context, alice: User, thread: Thread) -> None:
    turn = await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(alice))
    with pytest.raises(Conflict, match="still being written"):
        await post_message(PostMessage(thread_id=thread.id, content="b"), ctx.as_user(alice))
    await cancel_turn(
        CancelTurn(thread_id=thread.id, message_id=turn.assistant_message.id),
        ctx.as_user(alice),
    )
    await post_message(PostMessage(thread_id=thread.id, content="b"), ctx.as_user(alice))


async def test_archived_thread_refuses_posts(ctx: Context, alice: User, thread: Thread) -> None:
    await update_thread(UpdateThread(thread_id=thread.id, archived=True), ctx.as_user(alice))
    with pytest.raises(Conflict, match="archived"):
        await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(alice))


@pytest.mark.parametrize("content", ["", "   \n ", "x" * (MAX_CONTENT + 1)])
async def test_bad_content(ctx: Context, alice: User, thread: Thread, content: str) -> None:
    with pytest.raises(InvalidInput) as info:
        await post_message(PostMessage(thread_id=thread.id, content=content), ctx.as_user(alice))
    assert info.value.field == "content"


async def test_cancel_a_pending_reply_at_once(ctx: Context, alice: User, thread: Thread) -> None:
    turn = await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(alice))
    params = CancelTurn(thread_id=thread.id, message_id=turn.assistant_message.id)
    message = await cancel_turn(params, ctx.as_user(alice))
    assert message.status is MessageStatus.CANCELLED
    assert message.completed_at is not None
    # Stopping twice is not an error.
    assert (await cancel_turn(params, ctx.as_user(alice))).status is MessageStatus.CANCELLED


async def test_cancel_a_user_message_is_refused(ctx: Context, alice: User, thread: Thread) -> None:
    turn = await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(alice))
    with pytest.raises(InvalidInput, match="Only a reply"):
        await cancel_turn(
            CancelTurn(thread_id=thread.id, message_id=turn.user_message.id), ctx.as_user(alice)
        )


async def test_others_cannot_post_or_cancel(
    ctx: Context, alice: User, bob: User, thread: Thread
) -> None:
    with pytest.raises(NotFound):
        await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(bob))
    turn = await post_message(PostMessage(thread_id=thread.id, content="a"), ctx.as_user(alice))
    with pytest.raises(NotFound):
        await cancel_turn(
            CancelTurn(thread_id=thread.id, message_id=turn.assistant_message.id),
            ctx.as_user(bob),
        )
    bobs = await create_thread(CreateThread(), ctx.as_user(bob))
    with pytest.raises(NotFound):  # right message, wrong thread
        await cancel_turn(
            CancelTurn(thread_id=bobs.id, message_id=turn.assistant_message.id),
            ctx.as_user(bob),
        )
