"""`ChatEngine`: runs one chat turn on pydantic-ai and streams it as typed items.

```python
engine = ChatEngine(load_model_catalog(), limits=TurnLimits(max_requests=4))
async for item in engine.stream_turn(TurnRequest(model_id="gpt", user_text="Hi"), cancel=stop):
    ...  # TextDelta, ToolCallStarted, ToolCallFinished, then one TurnResult
```

Built on `Agent.run_stream_events`, which runs the whole turn (text, tool calls, more
text) where `run_stream` would stop at the first text.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from pydantic_ai import Agent, AgentRunResultEvent
from pydantic_ai.agent import AgentRunEvents
from pydantic_ai.exceptions import RunCancelled, RunTimedOut
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models import Model
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.settings import ModelSettings
from pydantic_ai.usage import UsageLimits

from py_core.ai_ml._errors import to_chat_error
from py_core.ai_ml._stream import TurnStream, answering_model, turn_usage
from py_core.ai_ml._title import TITLE_INSTRUCTIONS, clean_title, fallback_title, title_prompt
from py_core.ai_ml.history import adapt_history, scrub_messages
from py_core.ai_ml.pricing import cost_nanos
from py_core.ai_ml.providers import ModelCatalog
from py_core.ai_ml.tools import BUILTIN_TOOLS, TurnDeps, _utc_now
from py_core.ai_ml.types import (
    ChatError,
    StreamItem,
    TurnLimits,
    TurnRequest,
    TurnResult,
    TurnUsage,
)


class ChatEngine:
    """Answers chat turns with the catalog's models. One per process; safe to share."""

    def __init__(
        self,
        catalog: ModelCatalog,
        *,
        limits: TurnLimits | None = None,
        clock: Callable[[], datetime] = _utc_now,
        logger: logging.Logger | None = None,
    ) -> None:
        self.catalog = catalog
        """The models turns may name."""
        self.limits = limits or TurnLimits()
        """The bounds every turn runs under."""
        self._clock = clock
        self._logger = logger or logging.getLogger("py_core.ai_ml")
        self._agent = Agent[TurnDeps, str](deps_type=TurnDeps, tools=BUILTIN_TOOLS, name="chat")
        self._title_agent = Agent[None, str](instructions=TITLE_INSTRUCTIONS, name="title")

    async def stream_turn(
        self, request: TurnRequest, *, cancel: asyncio.Event | None = None
    ) -> AsyncGenerator[StreamItem, None]:
        """Stream one turn; the last item is a `TurnResult`.

        Setting `cancel` stops the model and ends the stream with a `TurnResult` whose
        `cancelled` is true, holding the partial text and messages. Failures raise
        `ChatError`; an unknown model id raises `UnknownModel`.
        """
        option = self.catalog.get(request.model_id)
        model = self.catalog.build(option.id)
        stream = TurnStream()
        run = self._agent.run_stream_events(
            request.user_text,
            model=model,
            message_history=adapt_history(request.history, provider=model.system),
            instructions=request.instructions,
            deps=TurnDeps(timezone=request.timezone, clock=self._clock),
            model_settings=self._model_settings(model, request),
            usage_limits=UsageLimits(
                request_limit=self.limits.max_requests,
                output_tokens_limit=self.limits.max_output_tokens,
            ),
            timeout=self.limits.turn_timeout,
        )
        try:
            async with run as events, _cancel_on(cancel, events):
                async for event in events:
                    if isinstance(event, AgentRunResultEvent):
                        messages = scrub_messages(event.result.new_messages())
                        yield self._result(
                            option.id,
                            text=stream.text,
                            messages=messages,
                            usage=turn_usage(event.result.usage),
                            model_name=answering_model(messages, model.model_name),
                        )
                    else:
                        for item in stream.items(event):
                            yield item
        except RunTimedOut as exc:
            raise self._chat_error(exc, option.id) or exc from None
        except RunCancelled as exc:
            # Cancelled on request: end with what the model produced until then.
            messages = scrub_messages(exc.new_messages())
            if tail := stream.unseen_tail(messages):
                yield tail
            yield self._result(
                option.id,
                text=stream.text,
                messages=messages,
                usage=turn_usage(exc.usage),
                model_name=answering_model(messages, model.model_name),
                cancelled=True,
            )
        except Exception as exc:
            error = self._chat_error(exc, option.id)
            if error is None:
                raise
            raise error from None

    async def generate_title(self, model_id: str, user_text: str, reply_text: str) -> str:
        """A short title for a thread from its first exchange; never fails.

        Falls back to the start of the user's message when the model fails, answers
        nothing usable, or is the offline demo (which cannot summarise).
        """
        option = self.catalog.get(model_id)
        if option.is_demo:
            return fallback_title(user_text)
        try:
            result = await self._title_agent.run(
                title_prompt(user_text, reply_text),
                model=self.catalog.build(option.id),
                model_settings=ModelSettings(max_tokens=40),
                usage_limits=UsageLimits(request_limit=1),
                timeout=self.limits.first_token_timeout,
            )
        except Exception as exc:
            error = to_chat_error(exc, model_id=option.id)
            reason = error.kind if error is not None else type(exc).__name__
            self._logger.warning("title generation failed for %s: %s", option.id, reason)
            return fallback_title(user_text)
        return clean_title(result.output) or fallback_title(user_text)

    def _result(
        self,
        model_id: str,
        *,
        text: str,
        messages: list[ModelMessage],
        usage: TurnUsage,
        model_name: str,
        cancelled: bool = False,
    ) -> TurnResult:
        price = self.catalog.price_of_answer(model_id, model_name)
        return TurnResult(
            text=text,
            new_messages=messages,
            usage=usage,
            model_name=model_name,
            cost_nanos=cost_nanos(
                price, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
            ),
            cancelled=cancelled,
        )

    def _model_settings(self, model: Model, request: TurnRequest) -> ModelSettings:
        settings = ModelSettings()
        if self.limits.first_token_timeout is not None:
            settings["first_event_timeout"] = self.limits.first_token_timeout
        if request.temperature is not None:
            settings["temperature"] = request.temperature
        caps = [c for c in (self.limits.max_output_tokens, request.max_tokens) if c is not None]
        if caps:
            # Run settings override the model's own, so keep the lowest of the caps.
            chain = model.models if isinstance(model, FallbackModel) else [model]
            caps += [
                m.settings["max_tokens"] for m in chain if m.settings and "max_tokens" in m.settings
            ]
            settings["max_tokens"] = min(caps)
        return settings

    def _chat_error(self, exc: Exception, model_id: str) -> ChatError | None:
        error = to_chat_error(exc, model_id=model_id)
        if error is None:
            return None
        self._logger.warning("turn failed on %s: %s (%s)", model_id, error.kind, type(exc).__name__)
        return error


@asynccontextmanager
async def _cancel_on(
    cancel: asyncio.Event | None, events: AgentRunEvents[Any]
) -> AsyncIterator[None]:
    """Cancels the run when `cancel` is set, for as long as the block runs."""
    if cancel is None:
        yield
        return

    async def watch() -> None:
        await cancel.wait()
        events.cancel()

    watcher = asyncio.create_task(watch())
    try:
        yield
    finally:
        watcher.cancel()
