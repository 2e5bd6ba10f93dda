"""Checkpoints of every reply a process writes, in one transaction per tick.

Each tick stores the partial text of the replies that streamed more since the last one
(so a crash loses at most a tick of text) and reads which replies were asked to stop
from another process (`cancel_turn` sets `cancel_requested`). One transaction for all
of them, however many replies stream, instead of one per reply per tick.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.chat._generation import LiveReply
from py_core.database import session_scope
from py_core.database.models import Message, MessageStatus

_messages = cast(Table, Message.__table__)
_SAVE_TEXT = (
    update(_messages)
    .where(
        _messages.c.id == bindparam("message_id"),
        _messages.c.status == MessageStatus.STREAMING,
    )
    .values(text=bindparam("partial_text"))
)


async def checkpoint(
    factory: async_sessionmaker[AsyncSession], live: Mapping[str, LiveReply]
) -> None:
    """Save what streamed since the last checkpoint; set `cancel` on the replies whose
    stop was asked for."""
    streaming = {message_id: reply for message_id, reply in live.items() if reply.run}
    if not streaming:
        return
    # Taken in one synchronous step, so each saved text matches its part count.
    saves = [
        (reply, len(reply.run.parts), {"message_id": message_id, "partial_text": reply.run.text})
        for message_id, reply in streaming.items()
        if reply.run is not None and len(reply.run.parts) != reply.saved
    ]
    async with session_scope(factory) as db:
        if saves:
            await db.execute(_SAVE_TEXT, [params for _, _, params in saves])
        stopped = await db.scalars(
            select(Message.id).where(
                Message.id.in_(list(streaming)), Message.cancel_requested.is_(True)
            )
        )
        stop_ids = set(stopped)
    for reply, count, _ in saves:
        reply.saved = count
    for message_id in stop_ids:
        streaming[message_id].cancel.set()
