"""Scripted models and helpers for tests of code that runs chat turns.

No network and no key: every model here is a pydantic-ai `FunctionModel`. `FakeOpenAI` is
an OpenAI-compatible server (an ASGI app) for tests of the real HTTP path.

```python
catalog = catalog_of({"fast": text_model("Hello there"), "broken": failing_model(error)})
items = await collect(ChatEngine(catalog).stream_turn(TurnRequest(model_id="fast", user_text="Hi")))
```
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models import Model
from pydantic_ai.models.function import AgentInfo, FunctionModel

from py_core.ai_ml._text import last_user_text, word_chunks
from py_core.ai_ml.engine import ChatEngine
from py_core.ai_ml.providers import CatalogEntry, ModelCatalog, ModelOption
from py_core.ai_ml.types import StreamItem, TurnRequest
from py_core_testing.fake_openai import (
    CallTool,
    Deltas,
    Fail,
    FakeOpenAI,
    HangUp,
    Received,
    Reply,
    Stall,
    serve_fake_openai,
)

__all__ = [
    "CallTool",
    "Deltas",
    "Fail",
    "FakeOpenAI",
    "HangUp",
    "Received",
    "Reply",
    "Stall",
    "catalog_of",
    "collect",
    "failing_model",
    "last_prompt",
    "run_turn",
    "serve_fake_openai",
    "stalling_model",
    "text_model",
    "words",
]


def words(text: str) -> list[str]:
    """`text` in word-sized chunks that join back to it exactly."""
    return word_chunks(text)


def last_prompt(messages: list[ModelMessage]) -> str:
    """The newest user prompt a scripted model received."""
    return last_user_text(messages)


def text_model(text: str, *, model_name: str = "scripted") -> FunctionModel:
    """A model that answers `text` to everything, streamed word by word."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for chunk in words(text):
            yield chunk

    def request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(text)])

    return FunctionModel(request, stream_function=stream, model_name=model_name)


def failing_model(error: Exception, *, model_name: str = "failing") -> FunctionModel:
    """A model whose every request raises `error`, streamed or not."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for _ in ():  # no chunk ever: this only makes `stream` an async generator
            yield ""
        raise error

    def request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise error

    return FunctionModel(request, stream_function=stream, model_name=model_name)


def stalling_model(
    before: Sequence[str] = (),
    *,
    model_name: str = "stalling",
    started: asyncio.Event | None = None,
) -> FunctionModel:
    """A model that streams `before`, sets `started`, then never produces anything more."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for chunk in before:
            yield chunk
        if started is not None:
            started.set()
        await asyncio.Event().wait()
        yield ""  # pragma: no cover - never reached

    return FunctionModel(stream_function=stream, model_name=model_name)


def catalog_of(
    models: Mapping[str, Model],
    *,
    fallbacks: Mapping[str, Sequence[str]] | None = None,
    default_id: str | None = None,
) -> ModelCatalog:
    """A catalog of `models` by id, with optional fallback chains."""
    fallbacks = fallbacks or {}
    entries = [
        CatalogEntry(
            option=ModelOption(id=model_id, model_name=model.model_name, fallback=tuple(chain)),
            model=model,
        )
        for model_id, model in models.items()
        for chain in [fallbacks.get(model_id, ())]
    ]
    return ModelCatalog(entries, default_id=default_id)


async def collect(items: AsyncIterator[StreamItem]) -> list[StreamItem]:
    """Every item of a turn's stream."""
    return [item async for item in items]


async def run_turn(
    engine: ChatEngine,
    model_id: str,
    user_text: str,
    *,
    history: Sequence[ModelMessage] = (),
    cancel: asyncio.Event | None = None,
) -> list[StreamItem]:
    """Every item of one turn of `engine`."""
    request = TurnRequest(model_id=model_id, user_text=user_text, history=history)
    return await collect(engine.stream_turn(request, cancel=cancel))
