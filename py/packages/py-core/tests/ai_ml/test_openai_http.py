"""The real HTTP path: configuration to OpenAIChatModel to a local OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import pytest
from pydantic_ai.models import override_allow_model_requests

from py_core.ai_ml import (
    ChatEngine,
    ChatError,
    ModelCatalog,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnLimits,
    TurnRequest,
    TurnResult,
    load_model_catalog,
)
from py_core_testing.models import CallTool, Fail, FakeOpenAI, Reply, Stall, run_turn

KEY = "sk-local-test-key-42"


@pytest.fixture(autouse=True)
def allow_model_requests() -> Iterator[None]:
    """Real model classes refuse to run in tests unless allowed; this server is local."""
    with override_allow_model_requests(True):
        yield


@asynccontextmanager
async def local_engine(
    server: FakeOpenAI, *, limits: TurnLimits | None = None, **extra: object
) -> AsyncIterator[ChatEngine]:
    """An engine on the local server, its HTTP clients closed afterwards as the app does."""
    async with local_catalog(server, **extra) as catalog:
        yield ChatEngine(catalog, limits=limits)


def local_catalog(server: FakeOpenAI, **extra: object) -> ModelCatalog:
    entry = {
        "id": "local",
        "provider": "openai-compatible",
        "model": "qwen2.5-7b",
        "base_url": server.base_url,
        "api_key_env": "LOCAL_KEY",
        **extra,
    }
    backup = {**entry, "id": "backup", "model": "backup-model", "fallback": []}
    env = {"PY_APP_MODELS": json.dumps([entry, backup]), "LOCAL_KEY": KEY}
    return load_model_catalog(env)


async def test_a_streamed_turn_over_http(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Reply(chunks=["Hel", "lo ", "there", "!"], prompt_tokens=21)]
    async with local_engine(openai_server) as engine:
        items = await run_turn(engine, "local", "Hi")

    deltas = [i.text for i in items if isinstance(i, TextDelta)]
    # The first text goes at once; what follows within the delta window travels together.
    assert deltas[0] == "Hel"
    assert "".join(deltas) == "Hello there!"
    assert len(deltas) < 4
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Hello there!"
    assert (result.usage.input_tokens, result.usage.output_tokens) == (21, 7)
    assert result.model_name == "qwen2.5-7b"
    (request,) = openai_server.received
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.body["messages"][-1] == {"role": "user", "content": "Hi"}
    assert request.authorization == f"Bearer {KEY}"


async def test_a_tool_call_over_http(openai_server: FakeOpenAI) -> None:
    openai_server.script = [CallTool(name="current_datetime"), Reply(chunks=["It is noon."])]
    async with local_engine(openai_server) as engine:
        items = await run_turn(engine, "local", "What time is it?")

    assert isinstance(items[0], ToolCallStarted)
    assert isinstance(items[1], ToolCallFinished)
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "It is noon."
    assert result.usage.requests == 2
    second = openai_server.received[1].body["messages"]
    assert second[-1]["role"] == "tool"
    assert second[-1]["tool_call_id"] == "call_1"


async def test_a_title_over_http_is_not_streamed(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Reply(chunks=["Greetings ", "exchanged"])]
    async with local_engine(openai_server) as engine:
        title = await engine.generate_title("local", "Hi", "Hello there!")

    assert title == "Greetings exchanged"
    assert not openai_server.received[0].body.get("stream")


async def test_a_rate_limit_status_over_http(openai_server: FakeOpenAI) -> None:
    body = {"error": {"message": "Slow down", "type": "requests", "code": "rate_limit_exceeded"}}
    openai_server.script = [Fail(status=429, body=body)]
    async with local_engine(openai_server) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "rate_limited"
    assert caught.value.status_code == 429


async def test_a_rejected_key_over_http_never_shows_the_key(openai_server: FakeOpenAI) -> None:
    body = {
        "error": {
            "message": f"Incorrect API key provided: {KEY}",
            "type": "invalid_request_error",
            "code": "invalid_api_key",
        }
    }
    openai_server.script = [Fail(status=401, body=body)]
    async with local_engine(openai_server) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "authentication_failed"
    assert KEY not in str(caught.value)
    assert KEY not in repr(caught.value)


async def test_a_fallback_over_http(openai_server: FakeOpenAI) -> None:
    openai_server.script = [
        Fail(status=503, body={"error": {"message": "overloaded"}}),
        Reply(chunks=["Backup ", "answer."]),
    ]
    async with local_engine(openai_server, fallback=["backup"]) as engine:
        items = await run_turn(engine, "local", "Hi")

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Backup answer."
    assert result.model_name == "backup-model"
    assert [r.body["model"] for r in openai_server.received] == ["qwen2.5-7b", "backup-model"]


async def test_cancelling_over_http_keeps_the_text_and_hangs_up(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Stall(chunks=["Partial ", "answer"])]
    cancel = asyncio.Event()
    request = TurnRequest(model_id="local", user_text="Hi")

    items = []
    async with local_engine(openai_server) as engine:
        async for item in engine.stream_turn(request, cancel=cancel):
            items.append(item)
            if isinstance(item, TextDelta) and item.text == "answer":
                cancel.set()  # the stream is stalled: only the cancel can end it

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.cancelled
    assert result.text == "Partial answer"
    for _ in range(100):  # the server learns of the hang-up asynchronously
        if openai_server.disconnects:
            break
        await asyncio.sleep(0.01)
    assert openai_server.disconnects == 1


async def test_no_first_token_over_http_is_timed_out(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Stall()]
    limits = TurnLimits(first_token_timeout=0.2)
    async with local_engine(openai_server, settings={"timeout": 30}, limits=limits) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "timed_out"
