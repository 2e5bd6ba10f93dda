"""A chat turn from the user's side: post a message, stop a reply."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.exc import IntegrityError

from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._finish import Outcome, apply_outcome, outcome_event
from py_core.chat._settings import LEASE_SECONDS
from py_core.context import Context
from py_core.database.models import (
    UNFINISHED_STATUSES,
    Message,
    MessageRole,
    MessageStatus,
    ThreadStatus,
)
from py_core.database.utils import utcnow, uuid7_str
from py_core.errors import Conflict, InvalidInput
from py_core.events.types import MessageCreated
from py_core.limits import MAX_CONTENT

STILL_WRITING = "A reply is still being written; wait for it or stop it first."

# A reply nobody has started within one lease is found by recovery, so a crash
# between the post and the start of generation cannot leave it pending forever; the
# runner renews it from then on, queued or streaming.
INITIAL_LEASE = timedelta(seconds=LEASE_SECONDS)


@dataclass(frozen=True, kw_only=True)
class PostMessage:
    thread_id: str
    """The thread to talk in; another user's is `NotFound`."""
    content: str
    """The user's message, 1 to `MAX_CONTENT` characters."""


@dataclass(frozen=True, kw_only=True)
class PostedTurn:
    user_message: Message
    """The stored user message."""
    assistant_message: Message
    """The reply, `pending` until the runner picks it up."""


async def post_message(params: PostMessage, ctx: Context) -> PostedTurn:
    """Store the user's message and a pending reply in one transaction, with their events;
    once it commits, the reply goes to `ctx.replies`.

    One turn at a time per thread: while a reply is unfinished, a post is a `Conflict`.
    """
    content = params.content.strip()
    if not content or len(content) > MAX_CONTENT:
        raise InvalidInput(f"A message must be 1 to {MAX_CONTENT} characters.", field="content")
    thread = await get_owned_thread(params.thread_id, ctx)
    if thread.status is ThreadStatus.ARCHIVED:
        raise Conflict("This thread is archived; restore it to continue the conversation.")
    if await ctx.db.scalar(select(exists().where(_unfinished_reply(thread.id)))):
        raise Conflict(STILL_WRITING)
    now = utcnow()
    # Ids taken in order now, so the reply sorts after the question and both rows go
    # in one batched INSERT.
    user_message = Message(
        id=uuid7_str(),
        thread_id=thread.id,
        role=MessageRole.USER,
        status=MessageStatus.COMPLETE,
        text=content,
        completed_at=now,
    )
    reply = Message(
        id=uuid7_str(),
        thread_id=thread.id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        text="",
        lease_expires_at=now + INITIAL_LEASE,
    )
    ctx.db.add_all([user_message, reply])
    thread.last_activity_at = now
    try:
        # Two posts racing past the check above: the unique index on a thread's
        # unfinished reply lets one in, on both databases, with no lock held.
        await ctx.db.flush()
    except IntegrityError:
        raise Conflict(STILL_WRITING) from None
    for message in (user_message, reply):
        ctx.events.add(MessageCreated.of(message, owner_id=thread.owner_id))
    replies = ctx.replies
    if replies is not None:
        ctx.after_commit(lambda: replies.submit(reply.id))
    return PostedTurn(user_message=user_message, assistant_message=reply)


def _unfinished_reply(thread_id: str) -> ColumnElement[bool]:
    return (
        (Message.thread_id == thread_id)
        & (Message.role == MessageRole.ASSISTANT)
        & Message.status.in_(UNFINISHED_STATUSES)
    )


@dataclass(frozen=True, kw_only=True)
class CancelTurn:
    thread_id: str
    """The thread of the reply; another user's message is `NotFound`."""
    message_id: str
    """The assistant message to stop."""


async def cancel_turn(params: CancelTurn, ctx: Context) -> Message:
    """Stop a reply, from any process.

    A reply still waiting for a runner is cancelled here and now. A streaming one is
    flagged: the process writing it stops (at once if it is this one, else at its next
    checkpoint) and writes `cancelled` with the partial text. A reply that already
    ended is returned as it is: stopping twice is not an error.
    """
    message = await get_owned_message(params.thread_id, params.message_id, ctx, lock=True)
    if message.role is not MessageRole.ASSISTANT:
        raise InvalidInput("Only a reply can be stopped.", field="message_id")
    if message.status is MessageStatus.PENDING:
        apply_outcome(message, Outcome(status=MessageStatus.CANCELLED, text=""))
        ctx.events.add(outcome_event(message, ctx.user_id))
    elif message.status is MessageStatus.STREAMING:
        message.cancel_requested = True
        replies = ctx.replies
        if replies is not None:
            # This process may be the one writing it: stop at once. Any other process
            # reads the flag with its next checkpoint.
            ctx.after_commit(lambda: replies.cancel_local(message.id))
    return message
