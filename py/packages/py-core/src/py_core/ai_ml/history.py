"""A thread's pydantic-ai messages: stored as JSON per turn, rebuilt into a history.

```python
row.messages = dump_messages(result.new_messages)          # one turn, JSON-able
history = build_history(row.messages for row in turns)     # the next turn's history
```

Turns are kept or dropped whole, newest kept first, so a tool call is never separated
from its result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)

_CHARS_PER_TOKEN = 4
"""A rough, provider-independent estimate: good enough to stay under a context window."""


@dataclass(frozen=True, kw_only=True)
class HistoryBudget:
    """How much of a thread's past is sent with a new turn."""

    max_tokens: int | None = 24_000
    """Estimated tokens of history (about four characters each); None for no limit."""
    max_turns: int | None = None
    """Earlier turns kept at most; None for no limit."""


def dump_messages(messages: Sequence[ModelMessage]) -> list[dict[str, Any]]:
    """JSON-able form of one turn's messages, for a database column."""
    dumped: list[dict[str, Any]] = ModelMessagesTypeAdapter.dump_python(
        scrub_messages(messages), mode="json"
    )
    return dumped


def load_messages(data: Sequence[Mapping[str, Any]]) -> list[ModelMessage]:
    """The messages `dump_messages` stored."""
    return ModelMessagesTypeAdapter.validate_python(data)


def build_history(
    stored: Iterable[Sequence[Mapping[str, Any]]],
    *,
    budget: HistoryBudget | None = None,
    provider: str | None = None,
) -> list[ModelMessage]:
    """A thread's history from its stored turns, oldest first, cut to `budget`.

    `provider` is the provider of the model about to answer (pydantic-ai's `Model.system`);
    thinking parts from any other provider are dropped, see `adapt_history`.
    """
    budget = budget or HistoryBudget()
    turns = [adapt_history(load_messages(turn), provider=provider) for turn in stored]
    kept: list[list[ModelMessage]] = []
    tokens = 0
    for turn in reversed([t for t in turns if t]):
        if budget.max_turns is not None and len(kept) >= budget.max_turns:
            break
        tokens += estimate_tokens(turn)
        if budget.max_tokens is not None and tokens > budget.max_tokens:
            break
        kept.append(turn)
    return [message for turn in reversed(kept) for message in turn]


def adapt_history(messages: Sequence[ModelMessage], *, provider: str | None) -> list[ModelMessage]:
    """`messages` made safe to send to `provider` (None: any provider).

    Thinking parts are provider-specific (signed, or encrypted) and another provider may
    reject them; earlier turns' thinking is not needed to continue, so it goes.
    """
    adapted: list[ModelMessage] = []
    for message in messages:
        if isinstance(message, ModelResponse):
            parts = [
                part
                for part in message.parts
                if not isinstance(part, ThinkingPart)
                or (provider is not None and part.provider_name == provider)
            ]
            if not parts:
                continue
            if len(parts) != len(message.parts):
                message = replace(message, parts=parts)
        adapted.append(message)
    return adapted


def scrub_messages(messages: Sequence[ModelMessage]) -> list[ModelMessage]:
    """`messages` without failure details that could quote a provider's error body.

    A `FallbackModel` records on the answering response why the models before it failed,
    as the exception's text, which can include what the provider sent back.
    """
    scrubbed: list[ModelMessage] = []
    for message in messages:
        if isinstance(message, ModelResponse) and message.failed_attempts:
            attempts = [
                replace(attempt, error=attempt.error.split(":", 1)[0] if attempt.error else None)
                for attempt in message.failed_attempts
            ]
            message = replace(message, failed_attempts=attempts)
        scrubbed.append(message)
    return scrubbed


def estimate_tokens(messages: Iterable[ModelMessage]) -> int:
    """Rough token count of the text in `messages`."""
    chars = 0
    for message in messages:
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                chars += len(part.content) if isinstance(part.content, str) else 1_000
            elif isinstance(part, TextPart | ThinkingPart):
                chars += len(part.content)
            elif isinstance(part, ToolCallPart):
                chars += len(part.tool_name) + len(part.args_as_json_str())
            elif isinstance(part, ToolReturnPart):
                chars += len(part.model_response_str())
    return chars // _CHARS_PER_TOKEN + 1


__all__ = [
    "HistoryBudget",
    "adapt_history",
    "build_history",
    "dump_messages",
    "estimate_tokens",
    "load_messages",
    "scrub_messages",
]
