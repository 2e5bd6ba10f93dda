"""Bodies of the OpenAI Chat Completions API, as far as this server speaks it.

Unknown request fields (`top_p`, `seed`, `user`, ...) are accepted and ignored, as
OpenAI-compatible servers do, so that clients need no adjustment; fields that would
change the answer's shape and cannot be honoured (`n` > 1, `tools`) are refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from py_core.chat.completions import ChatMessage
from py_core.limits import ModelId, Temperature

FinishReason = Literal["stop", "length", "content_filter"]


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore")


class TextPartIn(_Lenient):
    type: Literal["text"]
    """Only text parts; images, audio and files are refused."""
    text: str


class MessageIn(_Lenient):
    role: Literal["system", "developer", "user", "assistant"]
    """`developer` is OpenAI's newer name for `system`; `tool` messages are refused."""
    content: str | list[TextPartIn] | None = None
    """Text, or a list of text parts (joined); may be null for an assistant message only."""

    @model_validator(mode="after")
    def _content_required(self) -> MessageIn:
        if self.content is None and self.role != "assistant":
            raise ValueError(f"a {self.role} message needs content")
        return self

    def to_chat_message(self) -> ChatMessage:
        content = self.content or ""
        text = content if isinstance(content, str) else "".join(p.text for p in content)
        if self.role == "developer":
            return ChatMessage(role="system", text=text)
        return ChatMessage(role=self.role, text=text)


class StreamOptionsIn(_Lenient):
    include_usage: bool = False
    """Send the usage in a last chunk (with no choices) before `[DONE]`."""


class ChatCompletionIn(_Lenient):
    model: ModelId
    """A model id from `GET /v1/models`."""
    messages: list[MessageIn] = Field(min_length=1, max_length=2000)
    temperature: Temperature | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    """OpenAI's newer name for `max_tokens`; the lower of the two applies when both come."""
    stream: bool | None = False
    stream_options: StreamOptionsIn | None = None
    n: int | None = Field(default=None, ge=1, le=1)
    """One choice per call."""
    tools: list[dict[str, Any]] | None = Field(default=None, max_length=0)
    """Client-side tools are not supported (the server's own tools run server-side)."""

    @property
    def output_cap(self) -> int | None:
        caps = [c for c in (self.max_tokens, self.max_completion_tokens) if c is not None]
        return min(caps) if caps else None

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, input_tokens: int, output_tokens: int) -> UsageOut:
        return cls(
            prompt_tokens=input_tokens,
            completion_tokens=output_tokens,
            total_tokens=input_tokens + output_tokens,
        )


class AssistantMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class ChoiceOut(BaseModel):
    index: int = 0
    message: AssistantMessageOut
    logprobs: None = None
    finish_reason: FinishReason


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    """Unix seconds."""
    model: str
    system_fingerprint: None = None
    choices: list[ChoiceOut]
    usage: UsageOut


class ChunkChoiceOut(BaseModel):
    index: int = 0
    delta: dict[str, str]
    """`{"role": "assistant", "content": ""}` first, then `{"content": ...}`, `{}` last."""
    logprobs: None = None
    finish_reason: FinishReason | None = None


class ChatCompletionChunkOut(BaseModel):
    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    system_fingerprint: None = None
    choices: list[ChunkChoiceOut]
    usage: UsageOut | None = None
    """Only in the last chunk, when `stream_options.include_usage` was set."""


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str


class ModelListOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class OpenAIErrorDetailOut(BaseModel):
    message: str
    """What went wrong, for a person."""
    type: str
    """OpenAI's error type: `invalid_request_error`, `rate_limit_error`, `server_error`..."""
    param: str | None = None
    """The request field at fault, when one is."""
    code: str | None = None
    """A stable code: `invalid_api_key`, `model_not_found`, `rate_limit_exceeded`..."""


class OpenAIErrorOut(BaseModel):
    """Every `/v1` error, in OpenAI's shape."""

    error: OpenAIErrorDetailOut
