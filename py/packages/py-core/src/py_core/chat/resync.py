"""What a subscriber that lost events (a trimmed stream, a Redis that came back empty)
is sent with its `resync`, so that it hears how the reply it was following ended.

The bus's position is taken first, then this is read: an end published after that
position arrives live as well (twice is harmless: final events replace the reply's
state), and one published before it comes from here.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from py_core.chat._finish import outcome_event
from py_core.database.models import Message, MessageRole, Thread
from py_core.events.types import MessageCancelled, MessageCompleted, MessageFailed


async def latest_reply_outcome(
    db: AsyncSession, thread_id: str
) -> MessageCompleted | MessageCancelled | MessageFailed | None:
    """The final event of the thread's newest reply, rebuilt from the database; None
    when it has none or it is unfinished (its end is still to be published). The
    caller has checked that the thread is the acting user's."""
    row = (
        await db.execute(
            select(Message, Thread.owner_id)
            .join(Thread, Thread.id == Message.thread_id)
            .where(Message.thread_id == thread_id, Message.role == MessageRole.ASSISTANT)
            .order_by(Message.id.desc())
            .limit(1)
        )
    ).first()
    if row is None or not row[0].status.is_final:
        return None
    return outcome_event(row[0], row[1])
