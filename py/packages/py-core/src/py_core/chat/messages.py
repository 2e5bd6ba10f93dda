"""Reading a thread's messages."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.chat.threads import Page
from py_core.context import Context
from py_core.database.models import Message


@dataclass(frozen=True, kw_only=True)
class ListMessages:
    thread_id: str
    """Whose messages; another user's thread is `NotFound`."""
    limit: int = 50
    """Page size, 1 to 100."""
    before: str | None = None
    """`next_cursor` of the previous page: continue with older messages."""


async def list_messages(params: ListMessages, ctx: Context) -> Page[Message]:
    """The newest `limit` messages before the cursor, returned oldest first.

    Keyset-paginated on the id (uuid7, so by time): a page never shifts when new
    messages arrive, and walking back with `before` visits every row exactly once.
    """
    limit = check_limit(params.limit)
    await get_owned_thread(params.thread_id, ctx)
    stmt = select(Message).where(Message.thread_id == params.thread_id)
    if params.before is not None:
        (before_id,) = decode_cursor(params.before, 1)
        stmt = stmt.where(Message.id < before_id)
    rows = list(await ctx.db.scalars(stmt.order_by(Message.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    rows.reverse()
    return Page(items=rows, next_cursor=encode_cursor(rows[0].id) if more else None)


async def get_message(thread_id: str, message_id: str, ctx: Context) -> Message:
    """One message of the acting user's thread; `NotFound` for anyone else's."""
    return await get_owned_message(thread_id, message_id, ctx)
