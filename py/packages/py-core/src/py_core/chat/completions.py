"""Chat completions: a whole conversation sent at once, answered by the `ChatEngine`,
and recorded: kept as a thread of its owner (the default), or as a usage record only.

The operations behind the OpenAI-compatible `/v1/chat/completions`:

```python
prepared = prepare_completion(Completion(user_id=user.id, model_id="gpt", messages=msgs), catalog)
completions = Completions(engine=engine, sessions=factory)  # one per process
async for item in completions.stream(prepared):  # TextDelta ... then one TurnResult,
    ...                                           # yielded once the call is recorded
```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine, ModelCatalog
from py_core.ai_ml.types import StreamItem, TurnRequest, TurnResult
from py_core.budgets import CALL_HOLD, BudgetSettings, admit
from py_core.chat._conversation import ChatMessage, ChatRole, Conversation
from py_core.chat._finish import Outcome
from py_core.chat._kept import keep_as_thread
from py_core.chat._turn import TurnRun
from py_core.chat.model_access import check_model_allowed
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import BudgetReservation, MessageStatus, Thread, UsageRecord, User
from py_core.database.utils import uuid7_str
from py_core.errors import InvalidInput
from py_core.limits import MAX_TEMPERATURE

__all__ = [
    "ChatMessage",
    "ChatRole",
    "Completion",
    "Completions",
    "PreparedCompletion",
    "RecordCompletion",
    "prepare_completion",
    "record_completion",
]


@dataclass(frozen=True, kw_only=True)
class Completion:
    user_id: str
    """Whose call it is: the usage, and the thread when kept, are theirs."""
    model_id: str
    """One of the configured models (`UnknownModel` otherwise)."""
    messages: Sequence[ChatMessage]
    """The whole conversation; the last non-system message is the user's."""
    temperature: float | None = None
    """Sampling temperature, 0 to `MAX_TEMPERATURE`; the model's own when None."""
    max_tokens: int | None = None
    """Output tokens at most; the lower of this and the deployment's cap applies."""
    keep: bool = True
    """Keep the call as a thread in the owner's history; else record its usage only."""


@dataclass(frozen=True, kw_only=True)
class PreparedCompletion:
    """A checked completion, with what the engine needs and the ids it will be stored under."""

    completion: Completion
    """What was asked."""
    conversation: Conversation
    """The messages split into instructions, history and the new user text."""
    request: TurnRequest
    """The engine's request."""
    reply_id: str
    """The id of the stored reply (or usage record); also names the call
    (`chatcmpl-<reply_id>`), so it is known before the reply starts."""
    message_ids: list[str] = field(default_factory=list[str])
    """Ids of the stored user and assistant messages before the reply, in order: taken
    now, so that uuid7 order is conversation order."""


def prepare_completion(params: Completion, models: ModelCatalog | None) -> PreparedCompletion:
    """Check the call against the offered `models` (None skips the model check) and
    build the engine's request; nothing is read or written."""
    if models is not None:
        models.get(params.model_id)
    if params.temperature is not None and not 0 <= params.temperature <= MAX_TEMPERATURE:
        raise InvalidInput(
            f"The temperature must be between 0 and {MAX_TEMPERATURE:g}.", field="temperature"
        )
    if params.max_tokens is not None and params.max_tokens < 1:
        raise InvalidInput("max_tokens must be at least 1.", field="max_tokens")
    conversation = Conversation.of(params.messages)
    # The last user message is stored too, just before the reply.
    message_ids = [uuid7_str() for _ in range(len(conversation.earlier) + 1)]
    return PreparedCompletion(
        completion=params,
        conversation=conversation,
        request=TurnRequest(
            model_id=params.model_id,
            history=conversation.history(),
            user_text=conversation.user_text,
            instructions=conversation.instructions,
            temperature=params.temperature,
            max_tokens=params.max_tokens,
        ),
        message_ids=message_ids,
        reply_id=uuid7_str(),
    )


@dataclass(frozen=True, kw_only=True)
class RecordCompletion:
    prepared: PreparedCompletion
    """The call."""
    outcome: Outcome
    """How its reply ended."""


async def record_completion(params: RecordCompletion, ctx: Context) -> Thread | None:
    """Write a finished call: in a thread when kept (a new one, or the one it continues;
    returned), else its usage alone."""
    prepared, outcome = params.prepared, params.outcome
    # Its hold ends in the transaction that records its real usage: never both counted.
    await ctx.db.execute(delete(BudgetReservation).where(BudgetReservation.id == prepared.reply_id))
    if not prepared.completion.keep:
        if outcome.result is not None:
            usage = outcome.result.usage
            ctx.db.add(
                UsageRecord(
                    id=prepared.reply_id,
                    user_id=prepared.completion.user_id,
                    model_id=prepared.completion.model_id,
                    model_name=outcome.result.model_name,
                    input_tokens=usage.input_tokens,
                    output_tokens=usage.output_tokens,
                    cost_nanos=outcome.result.cost_nanos,
                )
            )
            await ctx.db.flush()
        return None
    return await keep_as_thread(prepared, outcome, ctx)


@dataclass(kw_only=True)
class Completions:
    """Runs prepared completions and records each one however it ends (complete,
    failed, or cut short by the caller going away). One per process; safe to share."""

    engine: ChatEngine
    """Answers, with the same engine and limits as chat turns."""
    sessions: async_sessionmaker[AsyncSession]
    """Where the record is written, in its own transaction once the reply ends."""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("py_core.chat"))
    """Where failures are logged."""
    budgets: BudgetSettings = field(default_factory=BudgetSettings)
    """The budgets a call is admitted against (`admit`)."""

    async def admit(self, prepared: PreparedCompletion, user: User) -> None:
        """Before the call starts, in a transaction of its own that commits: `Forbidden`
        for a model `user` may not use, `QuotaExceeded` past their budget; else the
        call's hold is written, for every process to see until the call is recorded."""
        async with session_scope(self.sessions) as db:
            budgets = self.budgets
            ctx = Context(db=db, logger=self.logger, models=self.engine.catalog, budgets=budgets)
            ctx = ctx.as_user(user)
            option = await check_model_allowed(ctx, prepared.completion.model_id)
            assert option is not None  # the context has the catalog

            async def prompt_characters() -> int:
                return sum(len(m.text) for m in prepared.completion.messages)

            hold = await admit(
                user,
                model_label=option.label,
                price=self.engine.catalog.price(option.id),
                prompt_characters=prompt_characters,
                ctx=ctx,
            )
            if hold is not None:
                now = budgets.clock()
                db.add(
                    BudgetReservation(
                        id=prepared.reply_id,
                        user_id=user.id,
                        tokens=hold.tokens,
                        cost_nanos=hold.cost_nanos,
                        created_at=now,
                        expires_at=now + CALL_HOLD,
                    )
                )

    async def stream(self, prepared: PreparedCompletion) -> AsyncGenerator[StreamItem, None]:
        """The engine's items, the `TurnResult` last and only once the call is recorded.

        A failure is recorded (a failed reply) and raised as its `ChatError`. Closing
        the generator early stops the model and records what was written as a
        cancelled reply.
        """
        run = TurnRun(engine=self.engine, request=prepared.request, logger=self.logger)
        outcome: Outcome | None = None
        try:
            async with contextlib.aclosing(run.stream()) as items:
                async for item in items:
                    if isinstance(item, Outcome):
                        outcome = item
                    else:
                        yield item
        finally:
            if outcome is None:  # closed or cancelled by the caller
                outcome = run.cut_short(MessageStatus.CANCELLED)
            await asyncio.shield(self._record(prepared, outcome))
        if outcome.failure is not None:
            raise outcome.failure
        assert outcome.result is not None  # a turn that did not fail has its result
        yield outcome.result

    async def run(self, prepared: PreparedCompletion) -> TurnResult:
        """The whole reply at once, recorded."""
        result: TurnResult | None = None
        async with contextlib.aclosing(self.stream(prepared)) as items:
            async for item in items:
                if isinstance(item, TurnResult):
                    result = item
        assert result is not None  # `stream` ends with one or raises
        return result

    async def _record(self, prepared: PreparedCompletion, outcome: Outcome) -> None:
        try:
            async with session_scope(self.sessions) as db:
                ctx = Context(db=db, logger=self.logger)
                await record_completion(RecordCompletion(prepared=prepared, outcome=outcome), ctx)
        except Exception:
            self.logger.exception(
                "completion not recorded", extra={"message_id": prepared.reply_id}
            )
            if outcome.status is MessageStatus.COMPLETE:
                raise
