"""Loading what the acting user owns. Anything else is `NotFound`, never `Forbidden`:
another user's thread must be indistinguishable from one that does not exist."""

from __future__ import annotations

from sqlalchemy import select

from py_core.context import Context
from py_core.database.models import Message, Thread
from py_core.errors import NotFound


async def get_owned_thread(thread_id: str, ctx: Context, *, lock: bool = False) -> Thread:
    """The thread if the acting user owns it. `lock` serialises writers on PostgreSQL
    (SQLite has one writer at a time anyway). Without it, a thread the request already
    loaded (the route's dependency) comes from the session, with no second query."""
    thread = await ctx.db.get(Thread, thread_id, with_for_update=lock or None)
    if thread is None or thread.owner_id != ctx.user_id:
        raise NotFound("No such thread.")
    return thread


async def get_owned_message(
    thread_id: str, message_id: str, ctx: Context, *, lock: bool = False
) -> Message:
    stmt = (
        select(Message)
        .join(Thread, Thread.id == Message.thread_id)
        .where(
            Message.id == message_id,
            Message.thread_id == thread_id,
            Thread.owner_id == ctx.user_id,
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=Message)
    message = await ctx.db.scalar(stmt)
    if message is None:
        raise NotFound("No such message.")
    return message
