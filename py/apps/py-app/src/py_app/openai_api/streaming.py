"""A completion's answer in OpenAI's shapes: one `chat.completion`, or `chat.completion.chunk`
Server-Sent Events ending with `data: [DONE]`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass

from fastapi.responses import StreamingResponse
from pydantic_ai.messages import ModelResponse

from py_app.openai_api.errors import to_openai_error
from py_app.openai_api.schemas import (
    AssistantMessageOut,
    ChatCompletionChunkOut,
    ChatCompletionOut,
    ChoiceOut,
    ChunkChoiceOut,
    FinishReason,
    UsageOut,
)
from py_core.ai_ml import StreamItem, TextDelta, TurnResult

DONE = "data: [DONE]\n\n"


@dataclass(frozen=True, kw_only=True)
class Call:
    """What every chunk of one call repeats."""

    id: str
    """`chatcmpl-<id of the stored reply>`."""
    created: int
    """Unix seconds."""
    model: str
    """The model id the caller named."""


def finish_reason(result: TurnResult) -> FinishReason:
    """Why the model stopped, from its last response; `stop` when it does not say."""
    for message in reversed(result.new_messages):
        if isinstance(message, ModelResponse):
            if message.finish_reason in ("length", "content_filter"):
                return message.finish_reason
            break
    return "stop"


def usage_of(result: TurnResult) -> UsageOut:
    return UsageOut.of(result.usage.input_tokens, result.usage.output_tokens)


def completion_out(call: Call, result: TurnResult) -> ChatCompletionOut:
    return ChatCompletionOut(
        id=call.id,
        created=call.created,
        model=call.model,
        choices=[
            ChoiceOut(
                message=AssistantMessageOut(content=result.text),
                finish_reason=finish_reason(result),
            )
        ],
        usage=usage_of(result),
    )


async def stream_response(
    items: AsyncGenerator[StreamItem, None],
    call: Call,
    *,
    include_usage: bool,
    on_result: Callable[[TurnResult], None],
) -> StreamingResponse:
    """The streamed answer. Waits for the first item, so that a failure before anything
    was streamed (a provider's rate limit, say) is answered with its own status."""
    try:
        first = await anext(items)
    except BaseException:
        await items.aclose()
        raise
    return StreamingResponse(
        _events(_chain(first, items), call, include_usage=include_usage, on_result=on_result),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _chain(
    first: StreamItem, rest: AsyncGenerator[StreamItem, None]
) -> AsyncGenerator[StreamItem, None]:
    async with contextlib.aclosing(rest):
        yield first
        async for item in rest:
            yield item


async def _events(
    items: AsyncGenerator[StreamItem, None],
    call: Call,
    *,
    include_usage: bool,
    on_result: Callable[[TurnResult], None],
) -> AsyncIterator[str]:
    result: TurnResult | None = None
    yield _chunk(call, {"role": "assistant", "content": ""})
    async with contextlib.aclosing(items):
        try:
            async for item in items:
                if isinstance(item, TextDelta):
                    yield _chunk(call, {"content": item.text})
                elif isinstance(item, TurnResult):
                    result = item
        except Exception as exc:
            # The status line has gone: OpenAI's clients raise on an `error` event.
            yield f"data: {json.dumps(to_openai_error(exc).body())}\n\n"
            return
    if result is None:  # pragma: no cover - the core's stream always ends with one
        return
    on_result(result)
    yield _chunk(call, {}, finish=finish_reason(result))
    if include_usage:
        chunk = ChatCompletionChunkOut(
            id=call.id, created=call.created, model=call.model, choices=[], usage=usage_of(result)
        )
        yield f"data: {chunk.model_dump_json()}\n\n"
    yield DONE


def _chunk(call: Call, delta: dict[str, str], *, finish: FinishReason | None = None) -> str:
    chunk = ChatCompletionChunkOut(
        id=call.id,
        created=call.created,
        model=call.model,
        choices=[ChunkChoiceOut(delta=delta, finish_reason=finish)],
    )
    return f"data: {chunk.model_dump_json()}\n\n"
