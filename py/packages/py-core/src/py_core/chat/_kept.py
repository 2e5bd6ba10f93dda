"""A completion kept in its owner's history: a new thread, or the thread it continues.

OpenAI's API is stateless: a client sends the whole conversation with every call. A call
whose earlier messages follow a path of a kept thread's tree from its first message
(same owner, title and instructions) continues that thread, so a multi-turn
conversation stays one thread instead of one per call. Where the resent conversation
leaves the stored one (an edited message, a regenerated reply), the rest of it becomes
a branch at that point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
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


@dataclass(frozen=True, kw_only=True)
class _Continued:
    thread: Thread
    """The kept thread the call goes on in."""
    parent_id: str
    """The last stored message the call's conversation shares with it."""
    shared: int
    """How many of the call's earlier messages are stored already (on that path)."""


async def keep_as_thread(prepared: PreparedCompletion, outcome: Outcome, ctx: Context) -> Thread:
    """Store the call's messages and reply; returns the thread they went to."""
    conversation = prepared.conversation
    continued = await _continued_thread(prepared, ctx)
    if continued is None:
        thread = Thread(
            owner_id=prepared.completion.user_id,
            title=title_of(conversation),
            model_id=prepared.completion.model_id,
            instructions=conversation.instructions,
        )
        ctx.db.add(thread)
        await ctx.db.flush()
        ctx.events.add(ThreadCreated.of(thread))
        rows = _rows(thread, conversation, prepared.message_ids, parent_id=None, shared=0)
    else:
        thread = continued.thread
        thread.model_id = prepared.completion.model_id
        rows = _rows(
            thread,
            conversation,
            prepared.message_ids,
            parent_id=continued.parent_id,
            shared=continued.shared,
        )
    _, pending = conversation.stored_turns()
    reply = Message(
        id=prepared.reply_id,
        thread_id=thread.id,
        parent_id=rows[-1].id,
        role=MessageRole.ASSISTANT,
        status=MessageStatus.PENDING,
        model_id=prepared.completion.model_id,
    )
    # The reply's turn starts at the requests that followed the previous reply.
    turn = [*pending, *outcome.result.new_messages] if outcome.result is not None else None
    apply_outcome(reply, outcome, model_messages=dump_messages(turn) if turn else None)
    thread.last_activity_at = utcnow()
    thread.active_leaf_id = reply.id
    ctx.db.add_all([*rows, reply])
    await ctx.db.flush()
    for row in [*rows, reply]:
        ctx.events.add(MessageCreated.of(row, owner_id=thread.owner_id))
    ctx.events.add(outcome_event(reply, thread.owner_id))
    return thread


def title_of(conversation: Conversation) -> str:
    """A kept call's thread title: the start of its first user message."""
    return fallback_title(conversation.first_user_text)[:MAX_TITLE]


async def _continued_thread(prepared: PreparedCompletion, ctx: Context) -> _Continued | None:
    """The owner's thread that shares the longest start with the call's earlier
    messages (at least the first), locked; None when none does."""
    conversation = prepared.conversation
    if not conversation.earlier:
        return None
    expected = [(_role(m), m.text) for m in conversation.earlier]
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
    best: _Continued | None = None
    for thread in candidates:
        if thread.instructions != conversation.instructions:
            continue
        stored = await ctx.db.execute(
            select(Message.id, Message.parent_id, Message.role, Message.text)
            .where(Message.thread_id == thread.id, Message.status == MessageStatus.COMPLETE)
            .order_by(Message.id)
        )
        parent_id, shared = _shared_path(expected, stored.all(), thread.active_leaf_id)
        if parent_id is not None and (best is None or shared > best.shared):
            best = _Continued(thread=thread, parent_id=parent_id, shared=shared)
            if shared == len(expected):
                break
    return best


def _shared_path(
    expected: list[tuple[MessageRole, str]],
    stored: Sequence[tuple[str, str | None, MessageRole, str]],
    active_leaf_id: str | None,
) -> tuple[str | None, int]:
    """Walk the stored tree from the first messages along `expected`; the last message
    reached and how many were matched. Where versions tie, the active branch wins, then
    the newest."""
    children: dict[str | None, list[tuple[str, MessageRole, str]]] = {}
    parents: dict[str, str | None] = {}
    for message_id, parent, role, text in stored:
        children.setdefault(parent, []).append((message_id, role, text))
        parents[message_id] = parent
    active: set[str] = set()
    node = active_leaf_id
    while node is not None and node not in active:
        active.add(node)
        node = parents.get(node)
    reached: str | None = None
    shared = 0
    for role, text in expected:
        matches = [m for m, r, t in children.get(reached, []) if (r, t) == (role, text)]
        if not matches:
            break
        on_active = [m for m in matches if m in active]
        reached = (on_active or matches)[-1]
        shared += 1
    return reached, shared


def _rows(
    thread: Thread,
    conversation: Conversation,
    ids: list[str],
    *,
    parent_id: str | None,
    shared: int,
) -> list[Message]:
    """The rows to add before the reply, each following the one before: every message of
    a new thread, or those after the `shared` ones of a continued one (the last user
    message at least)."""
    turns, _ = conversation.stored_turns()
    last_user = ChatMessage(role="user", text=conversation.user_text)
    entries = [*((t.message, t.model_messages) for t in turns), (last_user, None)]
    now = utcnow()
    rows: list[Message] = []
    for message_id, (message, model_messages) in list(zip(ids, entries, strict=True))[shared:]:
        rows.append(
            Message(
                id=message_id,
                thread_id=thread.id,
                parent_id=rows[-1].id if rows else parent_id,
                role=_role(message),
                status=MessageStatus.COMPLETE,
                text=message.text,
                model_messages=dump_messages(model_messages) if model_messages else None,
                completed_at=now,
            )
        )
    return rows


def _role(message: ChatMessage) -> MessageRole:
    return MessageRole.USER if message.role == "user" else MessageRole.ASSISTANT
