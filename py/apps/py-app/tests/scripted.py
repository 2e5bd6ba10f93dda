"""Deterministic models for the app's tests: pydantic-ai `FunctionModel`s, no network.

`echo` answers "You said: <prompt>" followed by numbered filler words, one chunk per
word with a pause, so a test can catch a reply mid-stream. A prompt containing
`words=N` sets the number of filler words. `broken` fails after a few words.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from pydantic_ai.messages import (
    ModelMessage,
    ModelResponse,
    TextPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from py_core.ai_ml import CatalogEntry, ModelCatalog, ModelOption
from py_core_testing.models import last_prompt, words

_WORDS = re.compile(r"words=(\d+)")


def echo_reply(prompt: str) -> str:
    match = _WORDS.search(prompt)
    count = int(match[1]) if match else 20
    return f"You said: {prompt}\n\n" + " ".join(f"word{i}" for i in range(count))


def echo_model(delay: float) -> FunctionModel:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for chunk in words(echo_reply(last_prompt(messages))):
            await asyncio.sleep(delay)
            yield chunk

    def request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        # Titles are generated with a plain request: short and recognisable.
        return ModelResponse(parts=[TextPart("Echo chat")])

    return FunctionModel(request, stream_function=stream, model_name="echo-1")


def broken_model(delay: float) -> FunctionModel:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for chunk in ("Starting ", "to ", "answer "):
            await asyncio.sleep(delay)
            yield chunk
        raise ConnectionError("provider connection reset")

    def request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        raise ConnectionError("provider connection reset")

    return FunctionModel(request, stream_function=stream, model_name="broken-1")


def scripted_catalog(delay: float = 0.01) -> ModelCatalog:
    return ModelCatalog(
        [
            CatalogEntry(
                option=ModelOption(id="echo", display_name="Echo", model_name="echo-1"),
                model=echo_model(delay),
            ),
            CatalogEntry(
                option=ModelOption(id="broken", display_name="Broken", model_name="broken-1"),
                model=broken_model(delay),
            ),
        ],
        default_id="echo",
    )
