"""Moving between a thread's branches."""

from __future__ import annotations

from dataclasses import dataclass

from py_core.chat._access import get_owned_message, get_owned_thread
from py_core.chat._tree import newest_leaf_under
from py_core.context import Context
from py_core.database.models import Thread
from py_core.events.types import ThreadUpdated


@dataclass(frozen=True, kw_only=True)
class SwitchBranch:
    thread_id: str
    """The thread; another user's is `NotFound`."""
    message_id: str
    """Show the branch through this message: the active leaf becomes the newest
    message under it (itself if nothing follows it)."""


async def switch_branch(params: SwitchBranch, ctx: Context) -> Thread:
    """Make another branch the one the thread shows. Allowed while a reply streams: that
    reply goes on and finishes on its own branch."""
    thread = await get_owned_thread(params.thread_id, ctx, lock=True)
    message = await get_owned_message(thread.id, params.message_id, ctx)
    leaf = await newest_leaf_under(ctx.db, thread.id, message.id)
    if leaf != thread.active_leaf_id:
        thread.active_leaf_id = leaf
        ctx.events.add(ThreadUpdated.of(thread))
    return thread
