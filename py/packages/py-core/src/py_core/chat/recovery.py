"""Leases: no reply stays `pending` or `streaming` forever.

A process renews the lease of every reply it has accepted (queued or running). If it
dies, the lease runs out, and any process's recovery marks the reply failed with the
reason "interrupted" and publishes that through the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.chat._finish import INTERRUPTED, Outcome, apply_outcome, outcome_event
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import UNFINISHED_STATUSES, Message, MessageStatus, Thread
from py_core.database.utils import utcnow

_BATCH = 100


async def renew_leases(
    factory: async_sessionmaker[AsyncSession], message_ids: Collection[str], duration: timedelta
) -> None:
    if not message_ids:
        return
    async with session_scope(factory) as db:
        await db.execute(
            update(Message)
            .where(Message.id.in_(list(message_ids)), Message.status.in_(UNFINISHED_STATUSES))
            .values(lease_expires_at=utcnow() + duration)
        )


async def ping(factory: async_sessionmaker[AsyncSession]) -> None:
    """One round trip to the database; raises while it is out of reach."""
    async with session_scope(factory) as db:
        await db.execute(select(1))


async def recover_expired(
    factory: async_sessionmaker[AsyncSession],
    *,
    logger: logging.Logger,
    now: datetime | None = None,
    held: Collection[str] = (),
) -> list[str]:
    """Mark every unfinished reply whose lease ran out as interrupted; return their ids.

    `held`: replies the calling process still holds (accepted, perhaps waiting for the
    database to take their final write); never taken, whatever their lease says.
    Safe with many processes at once: rows are locked with SKIP LOCKED on PostgreSQL
    (SQLite serialises writers anyway), and a reply that ended meanwhile is skipped.
    """
    recovered: list[str] = []
    while True:
        batch = await _recover_batch(factory, logger, now or utcnow(), list(held))
        recovered += batch
        if len(batch) < _BATCH:
            return recovered


async def _recover_batch(
    factory: async_sessionmaker[AsyncSession],
    logger: logging.Logger,
    now: datetime,
    held: list[str],
) -> list[str]:
    async with session_scope(factory) as db:
        rows = list(
            await db.execute(
                select(Message, Thread.owner_id)
                .join(Thread, Thread.id == Message.thread_id)
                .where(
                    Message.status.in_(UNFINISHED_STATUSES),
                    or_(Message.lease_expires_at.is_(None), Message.lease_expires_at < now),
                    *([Message.id.not_in(held)] if held else []),
                )
                .order_by(Message.id)
                .limit(_BATCH)
                .with_for_update(of=Message, skip_locked=True)
            )
        )
        ctx = Context(db=db, logger=logger)
        for message, owner_id in rows:
            apply_outcome(
                message, Outcome(status=MessageStatus.FAILED, text=message.text, error=INTERRUPTED)
            )
            ctx.events.add(outcome_event(message, owner_id))
            logger.warning("reply interrupted", extra={"message_id": message.id})
        return [message.id for message, _ in rows]
