"""Translation of pydantic-ai's run events into the engine's stream items."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pydantic_ai.messages import (
    AgentStreamEvent,
    FunctionToolCallEvent,
    FunctionToolResultEvent,
    ModelMessage,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
)
from pydantic_ai.usage import RunUsage

from py_core.ai_ml.types import StreamItem, TextDelta, ToolCallFinished, ToolCallStarted, TurnUsage

_PARAGRAPH = "\n\n"


class TurnStream:
    """Turns events into items and remembers the text streamed so far."""

    def __init__(self) -> None:
        self.text = ""
        """Every `TextDelta` yielded so far, joined."""
        self._part_index: int | None = None
        self._part_text = ""

    def items(self, event: AgentStreamEvent) -> Iterator[StreamItem]:
        """The stream items for one event (often none: most events are bookkeeping)."""
        if isinstance(event, PartStartEvent):
            self._part_index, self._part_text = None, ""
            if isinstance(event.part, TextPart):
                self._part_index = event.index
                # Text after a tool call comes in a new response: keep it a new paragraph.
                if self.text and not self.text.endswith("\n"):
                    yield self._delta(_PARAGRAPH, part=False)
                if event.part.content:
                    yield self._delta(event.part.content)
        elif isinstance(event, PartDeltaEvent):
            delta = event.delta
            is_ours = event.index == self._part_index
            if is_ours and isinstance(delta, TextPartDelta) and delta.content_delta:
                yield self._delta(delta.content_delta)
        elif isinstance(event, FunctionToolCallEvent):
            part = event.part
            yield ToolCallStarted(
                call_id=part.tool_call_id, tool_name=part.tool_name, args=part.args_as_dict()
            )
        elif isinstance(event, FunctionToolResultEvent):
            result = event.part
            yield ToolCallFinished(
                call_id=result.tool_call_id,
                tool_name=result.tool_name,
                content=result.model_response_str(),
            )

    def unseen_tail(self, messages: Sequence[ModelMessage]) -> TextDelta | None:
        """The text an interrupted response holds beyond what was streamed, as a delta.

        The run may be one event ahead of the consumer when it is cancelled; the stored
        response has that text, so it is streamed too and the two stay equal.
        """
        last = messages[-1] if messages else None
        index = self._part_index
        if not isinstance(last, ModelResponse) or index is None or index >= len(last.parts):
            return None
        part = last.parts[index]
        if not isinstance(part, TextPart) or not part.content.startswith(self._part_text):
            return None
        tail = part.content[len(self._part_text) :]
        return self._delta(tail) if tail else None

    def _delta(self, text: str, *, part: bool = True) -> TextDelta:
        self.text += text
        if part:
            self._part_text += text
        return TextDelta(text=text)


def turn_usage(usage: RunUsage) -> TurnUsage:
    """The engine's view of pydantic-ai's usage."""
    return TurnUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        requests=usage.requests,
        tool_calls=usage.tool_calls,
    )


def answering_model(messages: Sequence[ModelMessage], default: str) -> str:
    """The name of the model that produced the last response of a turn."""
    for message in reversed(messages):
        if isinstance(message, ModelResponse) and message.model_name:
            return message.model_name
    return default
