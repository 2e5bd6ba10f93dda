"""One reply, from `pending` to its final state. Run by `GenerationRunner`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine
from py_core.ai_ml.history import build_history
from py_core.ai_ml.providers import UnknownModel
from py_core.ai_ml.types import ChatError, TextDelta, TurnRequest, TurnResult
from py_core.chat._coalescer import DeltaCoalescer
from py_core.chat._finish import INTERRUPTED, Outcome, finish
from py_core.chat._settings import RunnerSettings
from py_core.chat.threads import DEFAULT_TITLE, MAX_TITLE
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import Message, MessageRole, MessageStatus, Thread
from py_core.database.utils import utcnow
from py_core.events import EventPublisher
from py_core.events._base import START
from py_core.events.types import MessageDelta, ThreadUpdated

UNEXPECTED = "Something went wrong while writing this reply. Try again."


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
    stream_position: str
    """The thread stream's last id when the reply started: a stop asked for after
    that point is on the stream after it."""


@dataclass(kw_only=True)
class Generation:
    """Runs one turn. Holds what the runner shares with it."""

    factory: async_sessionmaker[AsyncSession]
    engine: ChatEngine
    publisher: EventPublisher
    settings: RunnerSettings
    logger: logging.Logger
    outbox_wake: Callable[[], None] | None = None

    async def start(self, message_id: str) -> Turn | None:
        """Mark the reply `streaming` and read its inputs; None if it no longer waits."""
        async with session_scope(self.factory) as db:
            message = await db.get(Message, message_id, with_for_update=True)
            if message is None or message.status is not MessageStatus.PENDING:
                return None
            thread = await db.get_one(Thread, message.thread_id)
            earlier = list(
                await db.scalars(
                    select(Message)
                    .where(Message.thread_id == thread.id, Message.id < message.id)
                    .order_by(Message.id)
                )
            )
            model_id = self._model_id(thread.model_id)
            option = self.engine.catalog.get(model_id)
            message.status = MessageStatus.STREAMING
            message.model_name = option.model_name or option.id
            message.lease_expires_at = utcnow() + timedelta(seconds=self.settings.lease_duration)
            # Read before the commit that makes the reply `streaming`: a stop asked for
            # after that commit is published after this position (see `cancel_turn`).
            position = await self._stream_position(thread.id)
            return Turn(
                message_id=message.id,
                thread_id=thread.id,
                owner_id=thread.owner_id,
                request=TurnRequest(
                    model_id=model_id,
                    history=build_history(
                        (m.model_messages for m in earlier if m.model_messages),
                        budget=self.settings.history,
                        provider=option.provider,
                    ),
                    user_text=_last_user_text(earlier),
                    instructions=thread.instructions,
                ),
                first_reply=not any(m.role is MessageRole.ASSISTANT for m in earlier),
                stream_position=position,
            )

    async def _stream_position(self, thread_id: str) -> str:
        try:
            return await asyncio.wait_for(
                self.publisher.last_id(thread_id), self.settings.publish_timeout
            )
        except Exception as exc:
            self.logger.warning("bus unreachable at reply start: %r", exc)
            return START  # replays what is retained; stops are matched by message id

    async def run(self, turn: Turn, cancel: asyncio.Event) -> Message | None:
        """Stream the reply to the bus, checkpoint it, and write its final state."""
        parts: list[str] = []
        try:
            result = await self._stream(turn, cancel, parts)
        except ChatError as error:
            self.logger.info("reply failed: %s", error.kind, extra={"message_id": turn.message_id})
            outcome = Outcome(status=MessageStatus.FAILED, text="".join(parts), error=error.message)
        except asyncio.CancelledError:
            # The process is stopping (or the task was killed): say so now rather than
            # leaving it to recovery, and let the cancellation go on.
            await asyncio.shield(self._finish(turn, _interrupted(parts)))
            raise
        except Exception:
            self.logger.exception("reply crashed", extra={"message_id": turn.message_id})
            outcome = Outcome(status=MessageStatus.FAILED, text="".join(parts), error=UNEXPECTED)
        else:
            status = MessageStatus.CANCELLED if result.cancelled else MessageStatus.COMPLETE
            # The stored text is exactly what the deltas carried, by construction.
            outcome = Outcome(status=status, text="".join(parts), result=result)
        message = await self._finish(turn, outcome)
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
            ctx = Context(db=db, logger=self.logger, outbox_wake=self.outbox_wake)
            ctx.events.add(ThreadUpdated.of(thread))

    async def _stream(self, turn: Turn, cancel: asyncio.Event, parts: list[str]) -> TurnResult:
        result: TurnResult | None = None
        coalescer = DeltaCoalescer(
            lambda seq, text: self._publish_delta(turn, seq, text),
            interval=self.settings.delta_interval,
            max_chars=self.settings.delta_max_chars,
        )
        async with coalescer, self._checkpoints(turn, parts):
            async for item in self.engine.stream_turn(turn.request, cancel=cancel):
                if isinstance(item, TextDelta):
                    parts.append(item.text)
                    coalescer.add(item.text)
                elif isinstance(item, TurnResult):
                    result = item
        if result is None:
            raise ChatError("provider_error", "The model ended the reply without a result.")
        return result

    async def _publish_delta(self, turn: Turn, seq: int, text: str) -> None:
        event = MessageDelta(
            owner_id=turn.owner_id,
            thread_id=turn.thread_id,
            message_id=turn.message_id,
            seq=seq,
            text=text,
        )
        try:
            await asyncio.wait_for(self.publisher.publish(event), self.settings.publish_timeout)
        except Exception as exc:
            # Live deltas are a courtesy; the final text goes through the outbox.
            self.logger.warning("delta not published: %r", exc)

    @contextlib.asynccontextmanager
    async def _checkpoints(self, turn: Turn, parts: list[str]) -> AsyncIterator[None]:
        async def save_periodically() -> None:
            saved = 0
            while True:
                await asyncio.sleep(self.settings.checkpoint_interval)
                if len(parts) != saved:
                    saved = len(parts)
                    await self._save_partial(turn.message_id, "".join(parts))

        task = asyncio.create_task(save_periodically(), name=f"checkpoint-{turn.message_id}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _save_partial(self, message_id: str, text: str) -> None:
        try:
            async with session_scope(self.factory) as db:
                await db.execute(
                    update(Message)
                    .where(Message.id == message_id, Message.status == MessageStatus.STREAMING)
                    .values(text=text)
                )
        except Exception as exc:
            self.logger.warning("checkpoint failed: %r", exc)

    async def _finish(self, turn: Turn, outcome: Outcome) -> Message | None:
        return await finish(
            self.factory, turn.message_id, outcome, logger=self.logger, wake=self.outbox_wake
        )

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


def _interrupted(parts: list[str]) -> Outcome:
    return Outcome(status=MessageStatus.FAILED, text="".join(parts), error=INTERRUPTED)


def _last_user_text(earlier: list[Message]) -> str:
    for message in reversed(earlier):
        if message.role is MessageRole.USER:
            return message.text
    return ""
