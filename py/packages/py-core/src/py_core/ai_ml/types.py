"""What a chat turn takes in and gives out: the request, the stream items, the failure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic_ai.messages import ModelMessage

DELTA_WINDOW = 0.04
"""Seconds of streamed text that travel as one delta, from the provider's stream to the
bus and the browser (30-50 ms reads as smooth; the first text never waits)."""


@dataclass(frozen=True, kw_only=True)
class TurnRequest:
    """One turn of a thread: what the engine needs to answer the user."""

    model_id: str
    """The catalog id of the model to answer with (`ModelOption.id`)."""
    history: Sequence[ModelMessage] = ()
    """The thread's earlier messages, as rebuilt by `history.build_history`."""
    user_text: str
    """The new user message."""
    instructions: str | None = None
    """The thread's instructions; sent with this turn only, never frozen into history."""
    timezone: str = "UTC"
    """The user's IANA time zone, used by the date-and-time tool."""
    temperature: float | None = None
    """Sampling temperature for this turn; the model's configured one when None."""
    max_tokens: int | None = None
    """Output tokens per model request for this turn; the lower of this and the
    configured caps applies."""


@dataclass(frozen=True, kw_only=True)
class TurnLimits:
    """Bounds on one turn, so that a runaway model costs little and waits end."""

    max_output_tokens: int | None = 4096
    """Output tokens over the whole turn; also caps each model request (`max_tokens`)."""
    max_requests: int = 8
    """Model requests in one turn (a tool call costs one more request)."""
    first_token_timeout: float | None = 60.0
    """Seconds a model request may take to produce its first output."""
    turn_timeout: float | None = 300.0
    """Seconds the whole turn may take, tool calls included."""


@dataclass(frozen=True, kw_only=True)
class TextDelta:
    """A piece of the reply's text, in order; all deltas joined are the turn's text."""

    text: str
    """The new characters."""
    kind: Literal["text_delta"] = "text_delta"
    """Discriminator, for code that serialises stream items."""


@dataclass(frozen=True, kw_only=True)
class ToolCallStarted:
    """The model called a tool; its result follows as `ToolCallFinished`."""

    call_id: str
    """Matches the `ToolCallFinished` of the same call."""
    tool_name: str
    """The tool the model called."""
    args: dict[str, Any]
    """The arguments the model passed."""
    kind: Literal["tool_call_started"] = "tool_call_started"
    """Discriminator, for code that serialises stream items."""


@dataclass(frozen=True, kw_only=True)
class ToolCallFinished:
    """A tool returned; the model now continues with its result."""

    call_id: str
    """Matches the `ToolCallStarted` of the same call."""
    tool_name: str
    """The tool that returned."""
    content: str
    """The result as the model sees it."""
    kind: Literal["tool_call_finished"] = "tool_call_finished"
    """Discriminator, for code that serialises stream items."""


@dataclass(frozen=True, kw_only=True)
class TurnUsage:
    """Tokens and requests a turn used, as the providers reported them."""

    input_tokens: int = 0
    """Prompt tokens over every request of the turn."""
    output_tokens: int = 0
    """Generated tokens over every request of the turn."""
    requests: int = 0
    """Model requests made (more than one when tools were called)."""
    tool_calls: int = 0
    """Tool calls executed."""


@dataclass(frozen=True, kw_only=True)
class TurnResult:
    """The last stream item of a turn that completed or was cancelled."""

    text: str
    """The reply's text: every `TextDelta` of the turn, joined."""
    new_messages: list[ModelMessage] = field(default_factory=list[ModelMessage])
    """The turn's pydantic-ai messages, to store for history (`history.dump_messages`)."""
    usage: TurnUsage = field(default_factory=TurnUsage)
    """What the turn used."""
    model_name: str
    """The provider's name of the model that answered (the fallback's, when it took over)."""
    cost_nanos: int | None = None
    """What `usage` cost, in nano-dollars (`pricing.NANOS_PER_USD`), at the answering
    model's price; None when that price is unknown."""
    cancelled: bool = False
    """True when the turn was stopped early; `text` and `new_messages` are then partial."""
    kind: Literal["turn_result"] = "turn_result"
    """Discriminator, for code that serialises stream items."""


StreamItem = TextDelta | ToolCallStarted | ToolCallFinished | TurnResult
"""What `ChatEngine.stream_turn` yields; a `TurnResult` always comes last."""

ChatErrorKind = Literal[
    "rate_limited",
    "quota_exceeded",
    "authentication_failed",
    "context_too_long",
    "model_unavailable",
    "timed_out",
    "limit_exceeded",
    "content_filtered",
    "provider_error",
]
"""Why a turn failed; stable, so that callers can branch and the UI can explain."""


class ChatError(Exception):
    """A turn failed. `message` is readable, safe to show, and never contains a key."""

    def __init__(
        self,
        kind: ChatErrorKind,
        message: str,
        *,
        retry_after: float | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind: ChatErrorKind = kind
        """Why the turn failed."""
        self.message = message
        """What happened and what to do, in one or two sentences."""
        self.retry_after = retry_after
        """Seconds the provider asked to wait, when it said."""
        self.status_code = status_code
        """The provider's HTTP status, when there was one."""

    def __repr__(self) -> str:
        return f"ChatError(kind={self.kind!r}, message={self.message!r})"
