"""The app as a gateway: the official client calls the app, whose model is a real
`OpenAIChatModel` talking HTTP to a local OpenAI-compatible server (`FakeOpenAI`)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from pydantic_ai.models import override_allow_model_requests

from py_core.ai_ml import ModelCatalog, load_model_catalog
from py_core_testing.models import FakeOpenAI, Reply, serve_fake_openai

from .conftest import Caller


@pytest.fixture(autouse=True)
def allow_model_requests() -> Iterator[None]:
    """The app's real model class may run: its server is local."""
    with override_allow_model_requests(True):
        yield


@pytest.fixture
async def upstream() -> AsyncIterator[FakeOpenAI]:
    async with serve_fake_openai() as app:
        yield app


@pytest.fixture
def catalog(upstream: FakeOpenAI) -> ModelCatalog:
    entry = {
        "id": "local",
        "provider": "openai-compatible",
        "model": "qwen2.5-7b",
        "base_url": upstream.base_url,
        "api_key_env": "UPSTREAM_KEY",
        "settings": {"max_tokens": 300},
    }
    return load_model_catalog({"PY_APP_MODELS": json.dumps([entry]), "UPSTREAM_KEY": "sk-up"})


async def test_parameters_and_usage_pass_through(caller: Caller, upstream: FakeOpenAI) -> None:
    upstream.script = [
        Reply(chunks=["Bon", "jour", "!"], prompt_tokens=21, completion_tokens=3),
        Reply(chunks=["Salut."], prompt_tokens=30, completion_tokens=2),
    ]
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=0
    ) as client:
        stream = await client.chat.completions.create(
            model="local",
            messages=[
                {"role": "system", "content": "Speak French."},
                {"role": "user", "content": "Hello"},
            ],
            temperature=0.3,
            max_tokens=1000,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
        completion = await client.chat.completions.create(
            model="local",
            messages=[
                {"role": "user", "content": "Hello"},
                {"role": "assistant", "content": "Bonjour!"},
                {"role": "user", "content": "Hi again"},
            ],
            max_completion_tokens=50,
        )

    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "Bonjour!"
    usage = chunks[-1].usage
    assert usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens) == (21, 3)
    assert completion.choices[0].message.content == "Salut."
    assert completion.usage is not None
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens) == (30, 2)

    first, second = (r.body for r in upstream.received)
    assert first["temperature"] == 0.3
    # The lowest cap wins: the request's 1000 is above the model's configured 300.
    assert first.get("max_completion_tokens", first.get("max_tokens")) == 300
    assert [m["role"] for m in first["messages"]] == ["system", "user"]
    assert second.get("max_completion_tokens", second.get("max_tokens")) == 50
    assert [(m["role"], m["content"]) for m in second["messages"]] == [
        ("user", "Hello"),
        ("assistant", "Bonjour!"),
        ("user", "Hi again"),
    ]
    assert {r.authorization for r in upstream.received} == {"Bearer sk-up"}
