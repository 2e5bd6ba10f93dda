"""Final states of a reply, each written in one transaction with its outbox event."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml.history import dump_messages
from py_core.ai_ml.types import ChatError, TurnResult
from py_core.context import Context
from py_core.database import is_database_busy, is_database_unreachable, session_scope
from py_core.database.models import Message, MessageStatus, Thread
from py_core.database.utils import utcnow
from py_core.events.types import MessageCancelled, MessageCompleted, MessageFailed

INTERRUPTED = "interrupted: the server stopped while writing this reply. Try again."


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """How a reply ended."""

    status: MessageStatus
    """COMPLETE, CANCELLED or FAILED."""
    text: str
    """The text that was streamed: the whole reply, or what came before the end."""
    result: TurnResult | None = None
    """The engine's result (messages for history, usage, model), when there was one."""
    error: str | None = None
    """For FAILED: a readable reason."""
    failure: ChatError | None = None
    """For FAILED: the error itself, for callers that answer with it (the `/v1` API)."""

    @cached_property
    def stored_messages(self) -> list[dict[str, Any]] | None:
        """The result's messages as stored for history (`dump_messages`), made once."""
        return dump_messages(self.result.new_messages) if self.result is not None else None


async def finish(
    factory: async_sessionmaker[AsyncSession],
    message_id: str,
    outcome: Outcome,
    *,
    logger: logging.Logger,
) -> Message | None:
    """Write the outcome unless the reply already ended (e.g. recovery got there first)."""
    # Serialised before the transaction: on SQLite it holds the one writer.
    outcome.stored_messages  # noqa: B018
    async with session_scope(factory) as db:
        row = await locked_reply(db, message_id)
        if row is None or row[0].status.is_final:
            return None
        message, thread = row
        apply_outcome(message, outcome)
        thread.last_activity_at = message.completed_at or utcnow()
        Context(db=db, logger=logger).events.add(outcome_event(message, thread.owner_id))
    return message


async def finish_held(
    factory: async_sessionmaker[AsyncSession],
    message_id: str,
    outcome: Outcome,
    *,
    logger: logging.Logger,
    retry_initial: float,
    retry_max: float,
) -> Message | None:
    """`finish`, tried again with back-off for as long as the database is out of reach.

    The outcome of a reply that streamed to the end exists only in this process's
    memory (every client already read it), so it waits for the database rather than
    leave recovery to mark the reply interrupted with the last checkpoint. The reply
    stays accepted meanwhile: the runner keeps renewing its lease, and its own
    recovery never takes a reply it holds. Any other error is raised at once.
    """
    delay = retry_initial
    failures = 0
    while True:
        try:
            message = await finish(factory, message_id, outcome, logger=logger)
        except Exception as exc:
            if not (is_database_unreachable(exc) or is_database_busy(exc)):
                raise
            failures += 1
            if failures == 1:
                logger.warning(
                    "final write of a reply failed (%r); retrying until the database answers",
                    exc,
                    extra={"message_id": message_id},
                )
            await asyncio.sleep(delay)
            delay = min(delay * 2, retry_max)
            continue
        if failures:
            logger.info(
                "final write of a reply done after %d failed tries",
                failures,
                extra={"message_id": message_id},
            )
        return message


async def locked_reply(db: AsyncSession, message_id: str) -> tuple[Message, Thread] | None:
    """A reply, locked for its update, with its thread: one query."""
    row = (
        await db.execute(
            select(Message, Thread)
            .join(Thread, Thread.id == Message.thread_id)
            .where(Message.id == message_id)
            .with_for_update(of=Message)
        )
    ).first()
    return None if row is None else (row[0], row[1])


def apply_outcome(
    message: Message, outcome: Outcome, *, model_messages: list[dict[str, Any]] | None = None
) -> None:
    """Write the outcome on the message; `model_messages` replaces the result's own
    stored messages (a kept completion stores the requests that led to it too)."""
    message.status = outcome.status
    message.text = outcome.text
    message.error = outcome.error
    message.completed_at = utcnow()
    message.lease_expires_at = None
    result = outcome.result
    if result is not None:
        # A cancelled turn keeps its partial messages too: the next turn sees what
        # the user saw.
        message.model_messages = (
            model_messages if model_messages is not None else outcome.stored_messages
        )
        message.model_name = result.model_name
        message.input_tokens = result.usage.input_tokens
        message.output_tokens = result.usage.output_tokens
        message.cost_nanos = result.cost_nanos


def outcome_event(
    message: Message, owner_id: str
) -> MessageCompleted | MessageCancelled | MessageFailed:
    if message.status is MessageStatus.COMPLETE:
        return MessageCompleted.of(message, owner_id=owner_id)
    if message.status is MessageStatus.CANCELLED:
        return MessageCancelled.of(message, owner_id=owner_id)
    return MessageFailed.of(message, owner_id=owner_id)
