"""Reading a thread's messages: the branch it shows, newest page first."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.chat._tree import Siblings, path_up, siblings_of
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


@dataclass(frozen=True, kw_only=True)
class BranchPage(Page[Message]):
    siblings: dict[str, Siblings] = field(default_factory=dict)
    """Each message's place among its versions (its siblings), by message id."""


async def list_messages(params: ListMessages, ctx: Context) -> BranchPage:
    """The active branch: the newest `limit` messages (before the cursor), returned
    oldest first, each with its siblings.

    Paged from the active leaf towards the first message. A cursor names where the
    walk goes on, so a page never shifts when new messages arrive, and a client that
    pages back while another tab switches branches still walks one branch to its root.
    """
    limit = check_limit(params.limit)
    thread = await get_owned_thread(params.thread_id, ctx)
    start = thread.active_leaf_id
    if params.before is not None:
        (start,) = decode_cursor(params.before, 1)
    if start is None:
        return BranchPage(items=[], next_cursor=None)
    path = path_up(thread.id, start, limit=limit)
    rows = list(
        await ctx.db.scalars(
            select(Message).join(path, Message.id == path.c.id).order_by(path.c.depth.desc())
        )
    )
    siblings = await siblings_of(ctx.db, thread.id, rows) if rows else {}
    more = bool(rows) and rows[0].parent_id is not None
    return BranchPage(
        items=rows,
        next_cursor=encode_cursor(rows[0].parent_id) if more else None,
        siblings=siblings,
    )


async def get_message(thread_id: str, message_id: str, ctx: Context) -> Message:
    """One message of the acting user's thread; `NotFound` for anyone else's."""
    return await get_owned_message(thread_id, message_id, ctx)


async def get_message_versions(thread_id: str, message_id: str, ctx: Context) -> Siblings:
    """A message's place among its versions (its siblings), as `list_messages` gives it."""
    message = await get_owned_message(thread_id, message_id, ctx)
    return (await siblings_of(ctx.db, thread_id, [message]))[message.id]
