"""The one turn executor: the web turn and the `/v1` call both run the engine through it.

```python
run = TurnRun(engine=engine, request=request, logger=logger)
async for item in run.stream():      # TextDelta, tool items ..., then one Outcome
    ...
run.cut_short(MessageStatus.CANCELLED)  # the Outcome when the caller stopped reading
```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field

from py_core.ai_ml import ChatEngine
from py_core.ai_ml.types import ChatError, StreamItem, TextDelta, TurnRequest, TurnResult
from py_core.chat._finish import INTERRUPTED, Outcome
from py_core.database.models import MessageStatus

UNEXPECTED = "Something went wrong while writing this reply. Try again."
NO_RESULT = "The model ended the reply without a result."


@dataclass(kw_only=True)
class TurnRun:
    """One turn on the engine: the text streamed so far, and how the turn ended."""

    engine: ChatEngine
    """Answers the turn."""
    request: TurnRequest
    """What to answer."""
    logger: logging.Logger
    """Where crashes are logged."""
    cancel: asyncio.Event | None = None
    """Set it to stop the model; the turn then ends `cancelled` with its partial text."""
    parts: list[str] = field(default_factory=list[str], init=False)
    """Every text delta so far, in order: the stored text is exactly their join."""

    @property
    def text(self) -> str:
        return "".join(self.parts)

    async def stream(self) -> AsyncGenerator[StreamItem | Outcome, None]:
        """The engine's items (never its `TurnResult`), then the turn's `Outcome`.

        Every end the turn reaches by itself is an `Outcome` (complete, cancelled,
        failed with a readable error); nothing but the caller's own cancellation or
        closing escapes, and then `cut_short` says what was written.
        """
        result: TurnResult | None = None
        try:
            async with contextlib.aclosing(
                self.engine.stream_turn(self.request, cancel=self.cancel)
            ) as items:
                async for item in items:
                    if isinstance(item, TurnResult):
                        result = item
                        continue
                    if isinstance(item, TextDelta):
                        self.parts.append(item.text)
                    yield item
            if result is None:
                raise ChatError("provider_error", NO_RESULT)
        except ChatError as error:
            yield self._failed(error)
            return
        except Exception:
            self.logger.exception("turn crashed", extra={"model_id": self.request.model_id})
            yield self._failed(ChatError("provider_error", UNEXPECTED))
            return
        status = MessageStatus.CANCELLED if result.cancelled else MessageStatus.COMPLETE
        yield Outcome(status=status, text=self.text, result=result)

    def cut_short(self, status: MessageStatus) -> Outcome:
        """The outcome of a turn its caller ended: `CANCELLED` (the caller went away) or
        `FAILED` (the process is stopping: interrupted)."""
        error = INTERRUPTED if status is MessageStatus.FAILED else None
        return Outcome(status=status, text=self.text, error=error)

    def _failed(self, error: ChatError) -> Outcome:
        return Outcome(
            status=MessageStatus.FAILED, text=self.text, error=error.message, failure=error
        )
