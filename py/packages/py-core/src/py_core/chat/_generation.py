"""One reply, from `pending` to its final state. Run by `GenerationRunner`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine
from py_core.ai_ml.history import build_history
from py_core.ai_ml.providers import UnknownModel
from py_core.ai_ml.types import TextDelta, TurnRequest
from py_core.chat._coalescer import DeltaCoalescer
from py_core.chat._finish import Outcome, finish, finish_held, locked_reply
from py_core.chat._settings import RunnerSettings
from py_core.chat._tree import path_up
from py_core.chat._turn import TurnRun
from py_core.chat.threads import DEFAULT_TITLE
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import Message, MessageRole, MessageStatus, Thread
from py_core.database.utils import utcnow
from py_core.events import EventPublisher
from py_core.events.types import MessageDelta, ThreadUpdated
from py_core.limits import MAX_TITLE


@dataclass(frozen=True, kw_only=True)
class Turn:
    """A reply about to stream, with what the engine needs, read at its start."""

    message_id: str
    """The assistant message being written."""
    thread_id: str
    """Its thread."""
    owner_id: str
    """The thread's owner, stamped on every event."""
    request: TurnRequest
    """History, new user text, instructions and model for the engine."""
    first_reply: bool
    """True for the thread's first reply: its title is generated afterwards."""


@dataclass(kw_only=True)
class LiveReply:
    """A reply this process is writing, as the runner's checkpoints see it."""

    cancel: asyncio.Event = field(default_factory=asyncio.Event)
    """Set to stop it (a stop asked for here, or read from the database)."""
    run: TurnRun | None = None
    """The turn, once it streams."""
    saved: int = 0
    """How many of the run's parts the last checkpoint stored."""


@dataclass(kw_only=True)
class Generation:
    """Runs one turn. Holds what the runner shares with it."""

    factory: async_sessionmaker[AsyncSession]
    engine: ChatEngine
    publisher: EventPublisher
    settings: RunnerSettings
    logger: logging.Logger

    async def start(self, message_id: str) -> Turn | None:
        """Mark the reply `streaming` and read its inputs, in one transaction; None if it
        no longer waits (stopped, or recovered as interrupted)."""
        async with session_scope(self.factory) as db:
            row = await locked_reply(db, message_id)
            if row is None or row[0].status is not MessageStatus.PENDING:
                return None
            message, thread = row
            earlier = await _branch_before(db, message)
            model_id = self._model_id(thread.model_id)
            option = self.engine.catalog.get(model_id)
            message.status = MessageStatus.STREAMING
            message.model_id = model_id
            message.model_name = option.model_name or option.id
            message.lease_expires_at = utcnow() + timedelta(seconds=self.settings.lease_duration)
        # Rebuilt after the commit: validating stored messages is CPU work, and on SQLite
        # the transaction above holds the one writer every request shares.
        user_texts = [text for role, text, _ in earlier if role is MessageRole.USER]
        return Turn(
            message_id=message.id,
            thread_id=thread.id,
            owner_id=thread.owner_id,
            request=TurnRequest(
                model_id=model_id,
                history=build_history(
                    (messages for _, _, messages in earlier if messages),
                    budget=self.settings.history,
                    provider=option.provider,
                ),
                user_text=user_texts[-1] if user_texts else "",
                instructions=thread.instructions,
            ),
            first_reply=not any(role is MessageRole.ASSISTANT for role, _, _ in earlier),
        )

    async def run(self, turn: Turn, live: LiveReply) -> Message | None:
        """Stream the reply to the bus and write its final state; checkpoints of the
        partial text are the runner's, for all its replies at once."""
        run = live.run = TurnRun(
            engine=self.engine, request=turn.request, logger=self.logger, cancel=live.cancel
        )
        outcome: Outcome | None = None
        coalescer = DeltaCoalescer(
            lambda seq, text: self._publish_delta(turn, seq, text),
            interval=self.settings.delta_interval,
            max_chars=self.settings.delta_max_chars,
        )
        try:
            async with coalescer, contextlib.aclosing(run.stream()) as items:
                async for item in items:
                    if isinstance(item, TextDelta):
                        coalescer.add(item.text)
                    elif isinstance(item, Outcome):
                        outcome = item
        except asyncio.CancelledError:
            # The process is stopping (or the task was killed): say so now rather than
            # leaving it to recovery, and let the cancellation go on.
            await asyncio.shield(self._finish(turn, run.cut_short(MessageStatus.FAILED)))
            raise
        assert outcome is not None  # `TurnRun.stream` always ends with one
        if outcome.failure is not None:
            self.logger.info(
                "reply failed: %s", outcome.failure.kind, extra={"message_id": turn.message_id}
            )
        # Tried until the database answers: this outcome is held nowhere else.
        message = await finish_held(
            self.factory,
            turn.message_id,
            outcome,
            logger=self.logger,
            retry_initial=self.settings.finish_retry_initial,
            retry_max=self.settings.finish_retry_max,
        )
        if message is not None and message.status is MessageStatus.COMPLETE and turn.first_reply:
            await self._title_thread(turn, message.text)
        return message

    async def _title_thread(self, turn: Turn, reply_text: str) -> None:
        """Name the thread after its first exchange, unless the user already has."""
        title = await self.engine.generate_title(
            turn.request.model_id, turn.request.user_text, reply_text
        )
        async with session_scope(self.factory) as db:
            thread = await db.get(Thread, turn.thread_id, with_for_update=True)
            if thread is None or thread.title != DEFAULT_TITLE:
                return
            thread.title = title[:MAX_TITLE]
            Context(db=db, logger=self.logger).events.add(ThreadUpdated.of(thread))

    async def _publish_delta(self, turn: Turn, seq: int, text: str) -> None:
        event = MessageDelta(
            owner_id=turn.owner_id,
            thread_id=turn.thread_id,
            message_id=turn.message_id,
            seq=seq,
            text=text,
        )
        try:
            async with asyncio.timeout(self.settings.publish_timeout):
                await self.publisher.publish(event)
        except Exception as exc:
            # Live deltas are a courtesy; the final text goes through the outbox.
            self.logger.warning("delta not published: %r", exc)

    async def _finish(self, turn: Turn, outcome: Outcome) -> Message | None:
        return await finish(self.factory, turn.message_id, outcome, logger=self.logger)

    def _model_id(self, model_id: str | None) -> str:
        """The thread's model, or the default one if it is no longer configured."""
        catalog = self.engine.catalog
        if model_id is None:
            return catalog.default_id
        try:
            return catalog.get(model_id).id
        except UnknownModel:
            self.logger.warning("model %r no longer configured; using the default", model_id)
            return catalog.default_id


# A reply's history is cut to a token budget (`HistoryBudget`); a branch longer than
# this would only be read to be cut again.
HISTORY_READ_LIMIT = 1_000


async def _branch_before(
    db: AsyncSession, reply: Message
) -> Sequence[Row[MessageRole, str, list[dict[str, Any]] | None]]:
    """The messages before the reply on its own branch, oldest first. Its own, not the
    thread's active one: a switch of branch while it streams changes nothing it says."""
    if reply.parent_id is None:
        return []
    path = path_up(reply.thread_id, reply.parent_id, limit=HISTORY_READ_LIMIT)
    rows = await db.execute(
        select(Message.role, Message.text, Message.model_messages)
        .join(path, Message.id == path.c.id)
        .order_by(path.c.depth.desc())
    )
    return rows.all()
