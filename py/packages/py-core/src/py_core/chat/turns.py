"""A chat turn from the user's side: post a message, regenerate a reply, stop one."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.exc import IntegrityError

from py_core.budgets import admit
from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._finish import Outcome, apply_outcome, outcome_event
from py_core.chat._settings import LEASE_SECONDS
from py_core.chat.model_access import check_model_allowed
from py_core.chat.threads import checked_model_id
from py_core.context import Context
from py_core.database.models import (
    UNFINISHED_STATUSES,
    Message,
    MessageRole,
    MessageStatus,
    Thread,
    ThreadStatus,
)
from py_core.database.utils import utcnow, uuid7_str
from py_core.errors import Conflict, InvalidInput
from py_core.events.types import MessageCreated, ThreadUpdated
from py_core.limits import MAX_CONTENT

STILL_WRITING = "A reply is still being written; wait for it or stop it first."

# A reply nobody has started within one lease is found by recovery, so a crash
# between the post and the start of generation cannot leave it pending forever; the
# runner renews it from then on, queued or streaming.
INITIAL_LEASE = timedelta(seconds=LEASE_SECONDS)


class _Default(enum.Enum):
    ACTIVE_LEAF = "the active leaf"


ACTIVE_LEAF: Final = _Default.ACTIVE_LEAF
"""Post after the thread's active leaf: the conversation as the user sees it."""


@dataclass(frozen=True, kw_only=True)
class PostMessage:
    thread_id: str
    """The thread to talk in; another user's is `NotFound`."""
    content: str
    """The user's message, 1 to `MAX_CONTENT` characters."""
    parent_id: str | Literal[_Default.ACTIVE_LEAF] | None = ACTIVE_LEAF
    """The reply this message answers, which starts a branch there if it is not the
    active leaf; None for a new first message. Editing a message is posting under its
    parent: the edit becomes its sibling."""


@dataclass(frozen=True, kw_only=True)
class PostedTurn:
    user_message: Message
    """The stored user message."""
    assistant_message: Message
    """The reply, `pending` until the runner picks it up."""


async def post_message(params: PostMessage, ctx: Context) -> PostedTurn:
    """Store the user's message and a pending reply in one transaction, with their events;
    once it commits, the reply goes to `ctx.replies`. The reply is the thread's new
    active leaf.

    One turn at a time per thread: while a reply is unfinished, a post is a `Conflict`.
    """
    content = params.content.strip()
    if not content or len(content) > MAX_CONTENT:
        raise InvalidInput(f"A message must be 1 to {MAX_CONTENT} characters.", field="content")
    thread = await _open_thread(params.thread_id, ctx)
    parent_id = thread.active_leaf_id if params.parent_id is ACTIVE_LEAF else params.parent_id
    if parent_id is not None:
        parent = await get_owned_message(thread.id, parent_id, ctx)
        if parent.role is MessageRole.USER:
            raise InvalidInput(
                "A message follows a reply; to change a message, post under its parent.",
                field="parent_id",
            )
    now = utcnow()
    # Ids taken in order now, so the reply sorts after the question and both rows go
    # in one batched INSERT.
    user_message = Message(
        id=uuid7_str(),
        thread_id=thread.id,
        parent_id=parent_id,
        role=MessageRole.USER,
        status=MessageStatus.COMPLETE,
        text=content,
        completed_at=now,
    )
    reply = _pending_reply(thread, user_message.id, now)
    await _admit(thread, reply, ctx, new_text=content)
    await _store(thread, [user_message, reply], ctx)
    return PostedTurn(user_message=user_message, assistant_message=reply)


@dataclass(frozen=True, kw_only=True)
class RegenerateReply:
    thread_id: str
    """The thread of the reply; another user's is `NotFound`."""
    message_id: str
    """The reply to write again; the new one becomes its sibling (and the active leaf),
    and the old one stays as a branch."""
    model_id: str | None = None
    """Write it with this model, which the thread then keeps for the next turns (as
    choosing one in the picker does); the thread's model when None."""


async def regenerate_reply(params: RegenerateReply, ctx: Context) -> Message:
    """A new pending reply to the same user message, handed to `ctx.replies` after the
    commit like a post's. A user message cannot be regenerated (`InvalidInput`)."""
    thread = await _open_thread(params.thread_id, ctx)
    message = await get_owned_message(thread.id, params.message_id, ctx)
    if message.role is not MessageRole.ASSISTANT:
        raise InvalidInput("Only a reply can be regenerated.", field="message_id")
    switch_model = params.model_id is not None and params.model_id != thread.model_id
    if switch_model:
        await check_model_allowed(ctx, params.model_id or "")
        thread.model_id = checked_model_id(ctx, params.model_id)
    reply = _pending_reply(thread, message.parent_id, utcnow())
    await _admit(thread, reply, ctx, new_text="")
    await _store(thread, [reply], ctx)
    if switch_model:
        ctx.events.add(ThreadUpdated.of(thread))
    return reply


async def _open_thread(thread_id: str, ctx: Context) -> Thread:
    """The thread, if a turn may start in it now."""
    thread = await get_owned_thread(thread_id, ctx)
    if thread.status is ThreadStatus.ARCHIVED:
        raise Conflict("This thread is archived; restore it to continue the conversation.")
    if await ctx.db.scalar(select(exists().where(_unfinished_reply(thread.id)))):
        raise Conflict(STILL_WRITING)
    return thread


async def _admit(thread: Thread, reply: Message, ctx: Context, *, new_text: str) -> None:
    """May the acting user start this turn on the thread's model? `Forbidden` for a
    model they may not use, `QuotaExceeded` past their budget; else the reply holds
    its share of the budget while it is written."""
    if ctx.models is None or ctx.user is None:
        return
    option = await check_model_allowed(ctx, ctx.models.model_for(thread.model_id).id)
    assert option is not None  # the context has a catalog

    async def prompt_characters() -> int:
        stored = await ctx.db.scalar(
            # Every branch of the thread, more than the model hears: a hold may be high.
            select(func.coalesce(func.sum(func.length(Message.text)), 0)).where(
                Message.thread_id == thread.id
            )
        )
        return int(stored or 0) + len(new_text) + len(thread.instructions or "")

    hold = await admit(
        ctx.user,
        model_label=option.label,
        price=ctx.models.price(option.id),
        prompt_characters=prompt_characters,
        ctx=ctx,
    )
    if hold is not None:
        reply.reserved_tokens = hold.tokens
        reply.reserved_cost_nanos = hold.cost_nanos


def _pending_reply(thread: Thread, parent_id: str | None, now: datetime) -> Message:
    return Message(
        id=uuid7_str(),
        thread_id=thread.id,
        parent_id=parent_id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        text="",
        lease_expires_at=now + INITIAL_LEASE,
    )


async def _store(thread: Thread, rows: list[Message], ctx: Context) -> None:
    """Add a turn's rows (the reply last), make the reply the active leaf, and hand it
    to `ctx.replies` once the transaction commits."""
    reply = rows[-1]
    ctx.db.add_all(rows)
    thread.last_activity_at = utcnow()
    thread.active_leaf_id = reply.id
    try:
        # Two turns racing past `_open_thread`: the unique index on a thread's
        # unfinished reply lets one in, on both databases, with no lock held.
        await ctx.db.flush()
    except IntegrityError:
        raise Conflict(STILL_WRITING) from None
    for message in rows:
        ctx.events.add(MessageCreated.of(message, owner_id=thread.owner_id))
    replies = ctx.replies
    if replies is not None:
        ctx.after_commit(lambda: replies.submit(reply.id))


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
