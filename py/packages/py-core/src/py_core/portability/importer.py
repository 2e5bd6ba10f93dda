"""Writing one imported conversation as a thread of the acting user.

Called once per conversation, in a transaction of its own (the job's boundary commits
it): a conversation that fails leaves nothing behind, and the others go in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from sqlalchemy import insert, or_, select

from py_core.ai_ml.history import dump_messages
from py_core.context import Context
from py_core.database.models import (
    Message,
    MessageRole,
    MessageStatus,
    Thread,
    ThreadStatus,
)
from py_core.database.utils import utcnow, uuid7_str
from py_core.events.types import ThreadCreated
from py_core.limits import MAX_INSTRUCTIONS, MAX_MODEL_ID, MAX_TITLE
from py_core.portability._conversation import ImportedConversation, order


@dataclass(frozen=True, kw_only=True)
class Stored:
    thread: Thread
    """The new thread."""


@dataclass(frozen=True, kw_only=True)
class Skipped:
    reason: str
    """Why nothing was written."""
    thread_id: str | None = None
    """The thread that already holds it, when that is the reason."""


async def store_conversation(conversation: ImportedConversation, ctx: Context) -> Stored | Skipped:
    """Write the conversation as a new thread (all its branches, its active leaf, its
    timestamps), or say why not. `BadConversation` for a broken tree, before anything is
    written. Ids are made in tree order, so each sorts after its parent (and a newer
    version after an older one), as the chat's own rules expect."""
    tree = order(conversation)
    if not tree.messages:
        return Skipped(reason="it has no messages")
    existing = await _existing(conversation, ctx)
    if existing is not None:
        return Skipped(reason="already imported", thread_id=existing)
    now = utcnow()
    started = conversation.created_at or _first_time(tree.messages) or now
    ids: dict[str, str] = {}
    times: dict[str, datetime] = {}
    pending: dict[str, list[ModelMessage]] = {}  # user turns not yet answered, per path
    rows: list[dict[str, Any]] = []
    for item in tree.messages:
        parent_key = tree.parents[item.key]
        message_id = ids[item.key] = uuid7_str()
        created = times[item.key] = item.created_at or (
            times[parent_key] if parent_key else started
        )
        before = pending.get(parent_key, []) if parent_key else []
        stored: list[dict[str, Any]] | None = item.model_messages
        if item.role is MessageRole.USER:
            pending[item.key] = [*before, ModelRequest(parts=[UserPromptPart(item.text)])]
        elif item.role is MessageRole.ASSISTANT:
            pending[item.key] = []
            if stored is None and item.status is MessageStatus.COMPLETE:
                # What the model hears as history when the chat goes on here.
                stored = dump_messages([*before, ModelResponse(parts=[TextPart(item.text)])])
        else:
            pending[item.key] = before
        rows.append(
            {
                "id": message_id,
                "parent_id": ids[parent_key] if parent_key else None,
                "role": item.role,
                "status": item.status,
                "text": item.text,
                "model_messages": stored,
                "model_id": (item.model_id or "")[:MAX_MODEL_ID] or None,
                "model_name": (item.model_name or "")[:200] or None,
                "input_tokens": item.input_tokens,
                "output_tokens": item.output_tokens,
                "error": item.error,
                "created_at": created,
                "completed_at": item.completed_at or created,
                "cancel_requested": False,
            }
        )
    newest = max(times.values())
    thread = Thread(
        id=uuid7_str(),
        owner_id=ctx.user_id,
        title=_title(conversation.title),
        model_id=_known_model(ctx, conversation.model_id),
        instructions=(conversation.instructions or "")[:MAX_INSTRUCTIONS] or None,
        status=ThreadStatus.ARCHIVED if conversation.archived else ThreadStatus.ACTIVE,
        created_at=started,
        updated_at=now,
        last_activity_at=max(conversation.updated_at or newest, newest),
        active_leaf_id=ids[tree.active_key] if tree.active_key else rows[-1]["id"],
        source=conversation.source,
        source_id=conversation.source_id[:200],
    )
    for row in rows:
        row["thread_id"] = thread.id
    ctx.db.add(thread)
    await ctx.db.flush()  # the thread first: its messages refer to it
    # One multi-row INSERT for all the messages (a conversation can have thousands),
    # not one ORM object each.
    await ctx.db.execute(insert(Message), rows)
    ctx.events.add(ThreadCreated.of(thread))
    return Stored(thread=thread)


async def _existing(conversation: ImportedConversation, ctx: Context) -> str | None:
    """The user's thread that already holds this conversation: imported from the same
    source before, or (our own format) the very thread it was exported from."""
    same_source = (Thread.source == conversation.source) & (
        Thread.source_id == conversation.source_id[:200]
    )
    condition = (
        or_(same_source, Thread.id == conversation.original_thread_id)
        if conversation.original_thread_id
        else same_source
    )
    found: str | None = await ctx.db.scalar(
        select(Thread.id).where(Thread.owner_id == ctx.user_id, condition).limit(1)
    )
    return found


def _known_model(ctx: Context, model_id: str | None) -> str | None:
    """A model id this server offers; another server's are dropped (the default model
    answers from here on)."""
    if not model_id or len(model_id) > MAX_MODEL_ID:
        return None
    if ctx.models is None:
        return model_id  # a context that checks no model ids (tests of operations)
    return model_id if any(o.id == model_id for o in ctx.models.options) else None


def _title(title: str) -> str:
    title = " ".join(title.split())
    return title[:MAX_TITLE] or "Imported chat"


def _first_time(messages: list[Any]) -> datetime | None:
    return next((m.created_at for m in messages if m.created_at), None)
