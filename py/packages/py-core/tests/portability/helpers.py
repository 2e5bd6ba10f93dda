from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from py_core.chat import ListMessages, list_messages
from py_core.context import Context
from py_core.database.models import Message, Thread
from py_core.portability import (
    BadConversation,
    Skipped,
    Stored,
    plan_upload,
    read_conversations,
    store_conversation,
)


async def import_file(path: Path, ctx: Context) -> list[Stored | Skipped | str]:
    """Every conversation of the file stored as the jobs do, one by one (a problem as
    its text)."""
    outcomes: list[Stored | Skipped | str] = []
    for item in read_conversations(path, plan_upload(path)):
        if item.conversation is None:
            outcomes.append(item.problem or "")
            continue
        try:
            outcomes.append(await store_conversation(item.conversation, ctx))
        except BadConversation as exc:
            outcomes.append(exc.reason)
    await ctx.db.flush()
    return outcomes


def threads_of(outcomes: list[Stored | Skipped | str]) -> list[Thread]:
    return [o.thread for o in outcomes if isinstance(o, Stored)]


async def active_texts(thread: Thread, ctx: Context) -> list[str]:
    page = await list_messages(ListMessages(thread_id=thread.id, limit=100), ctx)
    return [m.text for m in page.items]


async def all_messages(thread: Thread, ctx: Context) -> list[Message]:
    return list(
        await ctx.db.scalars(
            select(Message).where(Message.thread_id == thread.id).order_by(Message.id)
        )
    )
