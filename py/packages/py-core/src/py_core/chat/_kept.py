"""A completion kept in its owner's history: a new thread, or the thread it continues.

OpenAI's API is stateless: a client sends the whole conversation with every call. A call
whose earlier messages are exactly a kept thread's messages (same owner, title and
instructions, nothing added since) continues that thread, so a multi-turn conversation
stays one thread instead of one per call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from py_core.ai_ml._title import fallback_title
from py_core.ai_ml.history import dump_messages
from py_core.chat._conversation import ChatMessage, Conversation
from py_core.chat._finish import Outcome, apply_outcome, outcome_event
from py_core.context import Context
from py_core.database.models import Message, MessageRole, MessageStatus, Thread, ThreadStatus
from py_core.database.utils import utcnow
from py_core.events.types import MessageCreated, ThreadCreated
from py_core.limits import MAX_TITLE

if TYPE_CHECKING:
    from py_core.chat.completions import PreparedCompletion

# Threads with the conversation's title that are compared, most recently active first.
_CANDIDATES = 5


async def keep_as_thread(prepared: PreparedCompletion, outcome: Outcome, ctx: Context) -> Thread:
    """Store the call's messages and reply; returns the thread they went to."""
    conversation = prepared.conversation
    thread = await _continued_thread(prepared, ctx)
    if thread is None:
        thread = Thread(
            owner_id=prepared.completion.user_id,
            title=title_of(conversation),
            model_id=prepared.completion.model_id,
            instructions=conversation.instructions,
        )
        ctx.db.add(thread)
        await ctx.db.flush()
        ctx.events.add(ThreadCreated.of(thread))
        rows = _rows(thread, conversation, prepared.message_ids)
    else:
        thread.model_id = prepared.completion.model_id
        rows = _rows(thread, conversation, prepared.message_ids, continued=True)
    _, pending = conversation.stored_turns()
    reply = Message(
        id=prepared.reply_id,
        thread_id=thread.id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        model_id=prepared.completion.model_id,
    )
    # The reply's turn starts at the requests that followed the previous reply.
    turn = [*pending, *outcome.result.new_messages] if outcome.result is not None else None
    apply_outcome(reply, outcome, model_messages=dump_messages(turn) if turn else None)
    thread.last_activity_at = utcnow()
    ctx.db.add_all([*rows, reply])
    await ctx.db.flush()
    for row in [*rows, reply]:
        ctx.events.add(MessageCreated.of(row, owner_id=thread.owner_id))
    ctx.events.add(outcome_event(reply, thread.owner_id))
    return thread


def title_of(conversation: Conversation) -> str:
    """A kept call's thread title: the start of its first user message."""
    return fallback_title(conversation.first_user_text)[:MAX_TITLE]


async def _continued_thread(prepared: PreparedCompletion, ctx: Context) -> Thread | None:
    """The owner's thread that holds exactly the call's earlier messages, locked; None
    when there is none (a new conversation, or one that went another way)."""
    conversation = prepared.conversation
    if not conversation.earlier:
        return None
    expected = [(_role(m), m.text, MessageStatus.COMPLETE) for m in conversation.earlier]
    candidates = await ctx.db.scalars(
        select(Thread)
        .where(
            Thread.owner_id == prepared.completion.user_id,
            Thread.title == title_of(conversation),
            Thread.status == ThreadStatus.ACTIVE,
        )
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(_CANDIDATES)
        .with_for_update()
    )
    for thread in candidates:
        if thread.instructions != conversation.instructions:
            continue
        stored = await ctx.db.execute(
            select(Message.role, Message.text, Message.status)
            .where(Message.thread_id == thread.id)
            .order_by(Message.id)
            .limit(len(expected) + 1)
        )
        if [tuple(row) for row in stored] == expected:
            return thread
    return None


def _rows(
    thread: Thread, conversation: Conversation, ids: list[str], *, continued: bool = False
) -> list[Message]:
    """The rows to add before the reply: every message of a new thread, or only the
    last user message of a continued one."""
    turns, _ = conversation.stored_turns()
    last_user = ChatMessage(role="user", text=conversation.user_text)
    entries = [*((t.message, t.model_messages) for t in turns), (last_user, None)]
    now = utcnow()
    rows = [
        Message(
            id=message_id,
            thread_id=thread.id,
            role=_role(message),
            status=MessageStatus.COMPLETE,
            text=message.text,
            model_messages=dump_messages(model_messages) if model_messages else None,
            completed_at=now,
        )
        for message_id, (message, model_messages) in zip(ids, entries, strict=True)
    ]
    return rows[-1:] if continued else rows


def _role(message: ChatMessage) -> MessageRole:
    return MessageRole.USER if message.role == "user" else MessageRole.ASSISTANT
