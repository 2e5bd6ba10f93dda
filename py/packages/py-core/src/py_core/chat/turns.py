"""A chat turn from the user's side: post a message, stop a reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, exists, select

from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._finish import Outcome, apply_outcome, outcome_event
from py_core.context import Context
from py_core.database.models import Message, MessageRole, MessageStatus, ThreadStatus
from py_core.database.utils import utcnow
from py_core.errors import Conflict, InvalidInput
from py_core.events.types import MessageCancelRequested, MessageCreated

MAX_CONTENT = 32_000
UNFINISHED = (MessageStatus.PENDING, MessageStatus.STREAMING)

# A reply nobody has started within this time is found by recovery, so a crash
# between the post and the start of generation cannot leave it pending forever.
INITIAL_LEASE = timedelta(minutes=2)


@dataclass(frozen=True, kw_only=True)
class PostMessage:
    user_id: str
    """The acting user; another user's thread is `NotFound`."""
    thread_id: str
    """The thread to talk in."""
    content: str
    """The user's message, 1 to 32,000 characters."""


@dataclass(frozen=True, kw_only=True)
class PostedTurn:
    user_message: Message
    """The stored user message."""
    assistant_message: Message
    """The reply, `pending` until the runner picks it up."""


async def post_message(params: PostMessage, ctx: Context) -> PostedTurn:
    """Store the user's message and a pending reply in one transaction, with their events.

    One turn at a time per thread: while a reply is unfinished, a post is a `Conflict`.
    The caller submits the reply to a `GenerationRunner` after committing.
    """
    content = params.content.strip()
    if not content or len(content) > MAX_CONTENT:
        raise InvalidInput(f"A message must be 1 to {MAX_CONTENT} characters.", field="content")
    # The row lock serialises two posts to one thread on PostgreSQL; SQLite's
    # BEGIN IMMEDIATE already serialises every writer.
    thread = await get_owned_thread(params.user_id, params.thread_id, ctx, lock=True)
    if thread.status is ThreadStatus.ARCHIVED:
        raise Conflict("This thread is archived; restore it to continue the conversation.")
    if await ctx.db.scalar(select(exists().where(_unfinished_reply(thread.id)))):
        raise Conflict("A reply is still being written; wait for it or stop it first.")
    now = utcnow()
    user_message = Message(
        thread_id=thread.id, role=MessageRole.USER, status=MessageStatus.COMPLETE, text=content
    )
    user_message.completed_at = now
    ctx.db.add(user_message)
    await ctx.db.flush()  # the reply's uuid7 must come after the user message's
    reply = Message(
        thread_id=thread.id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        text="",
        lease_expires_at=now + INITIAL_LEASE,
    )
    ctx.db.add(reply)
    thread.last_activity_at = now
    await ctx.db.flush()
    for message in (user_message, reply):
        ctx.events.add(MessageCreated.of(message, owner_id=thread.owner_id))
    return PostedTurn(user_message=user_message, assistant_message=reply)


def _unfinished_reply(thread_id: str) -> ColumnElement[bool]:
    return (
        (Message.thread_id == thread_id)
        & (Message.role == MessageRole.ASSISTANT)
        & Message.status.in_(UNFINISHED)
    )


@dataclass(frozen=True, kw_only=True)
class CancelTurn:
    user_id: str
    """The acting user; another user's message is `NotFound`."""
    thread_id: str
    """The thread of the reply."""
    message_id: str
    """The assistant message to stop."""


async def cancel_turn(params: CancelTurn, ctx: Context) -> Message:
    """Stop a reply, from any process.

    A reply still waiting for a runner is cancelled here and now. A streaming one gets
    a `message.cancel_requested` event: the process generating it hears it on the
    thread's stream, stops, and writes `cancelled` with the partial text. A reply that
    already ended is returned as it is: stopping twice is not an error.
    """
    message = await get_owned_message(
        params.user_id, params.thread_id, params.message_id, ctx, lock=True
    )
    if message.role is not MessageRole.ASSISTANT:
        raise InvalidInput("Only a reply can be stopped.", field="message_id")
    owner_id = params.user_id
    if message.status is MessageStatus.PENDING:
        apply_outcome(message, Outcome(status=MessageStatus.CANCELLED, text=""))
        ctx.events.add(outcome_event(message, owner_id))
    elif message.status is MessageStatus.STREAMING:
        ctx.events.add(
            MessageCancelRequested(
                owner_id=owner_id, thread_id=message.thread_id, message_id=message.id
            )
        )
    return message
