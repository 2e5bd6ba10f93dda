"""The lean OpenAI-compatible model against the fake server over real HTTP.

It must answer exactly as `OpenAIChatModel` does (text, tool calls, usage, errors), while
paying one pydantic-ai event per network read instead of one per chunk.
`test_openai_http.py` runs the engine's HTTP path on it too (it is what `openai-compatible`
builds); this module adds what is specific to it.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from pydantic_ai import Agent
from pydantic_ai.direct import model_request, model_request_stream
from pydantic_ai.exceptions import ModelHTTPError, ModelTimeoutError
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse
from pydantic_ai.models import Model, ModelRequestParameters, override_allow_model_requests
from pydantic_ai.models.ollama import OllamaModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import ToolDefinition

from py_core.ai_ml import (
    ChatEngine,
    ChatError,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnLimits,
    TurnRequest,
    TurnResult,
    load_model_catalog,
)
from py_core.ai_ml._openai_compat import OllamaCompatModel, OpenAICompatModel
from py_core.ai_ml.tools import BUILTIN_TOOLS, TurnDeps
from py_core_testing.models import (
    CallTool,
    Deltas,
    Fail,
    FakeOpenAI,
    HangUp,
    Reply,
    Stall,
    catalog_of,
    run_turn,
    words,
)

KEY = "sk-compat-test-key-7"
LONG_REPLY = " ".join(f"word{i}" for i in range(64))
NOON = datetime(2026, 5, 4, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def allow_model_requests() -> Iterator[None]:
    """Real model classes refuse to run in tests unless allowed; this server is local."""
    with override_allow_model_requests(True):
        yield


def lean(server: FakeOpenAI, **settings: Any) -> OpenAICompatModel:
    provider = OpenAIProvider(base_url=server.base_url, api_key=KEY)
    return OpenAICompatModel(
        "qwen2.5-7b", provider=provider, settings=cast(ModelSettings, settings)
    )


def sdk(server: FakeOpenAI) -> OpenAIChatModel:
    provider = OpenAIProvider(base_url=server.base_url, api_key=KEY)
    return OpenAIChatModel("qwen2.5-7b", provider=provider)


@asynccontextmanager
async def engine_on(model: Model, *, limits: TurnLimits | None = None) -> AsyncIterator[ChatEngine]:
    catalog = catalog_of({"local": model})
    async with catalog:
        yield ChatEngine(catalog, limits=limits, clock=lambda: NOON)


def text_deltas(items: list[Any]) -> list[str]:
    return [item.text for item in items if isinstance(item, TextDelta)]


def hi() -> list[ModelMessage]:
    return [ModelRequest.user_text_prompt("Hi")]


async def streamed(model: Model, params: ModelRequestParameters | None = None) -> ModelResponse:
    """The response of one streamed request, read to the end."""
    async with model, model_request_stream(model, hi(), model_request_parameters=params) as stream:
        async for _ in stream:
            pass
    return stream.get()


async def whole(model: Model, params: ModelRequestParameters) -> ModelResponse:
    """The response of one request that is not streamed."""
    async with model:
        return await model_request(model, hi(), model_request_parameters=params)


def comparable(response: ModelResponse) -> tuple[object, ...]:
    """What must not differ between the two models (timestamps and ids of parts aside)."""
    details = dict(response.provider_details or {})
    return (
        response.parts,
        response.usage,
        response.finish_reason,
        response.model_name,
        response.provider_name,
        response.provider_response_id,
        details,
    )


# Streaming: merged, and exactly the server's text


async def test_chunks_sent_in_one_write_arrive_as_fewer_deltas(openai_server: FakeOpenAI) -> None:
    chunks = words(LONG_REPLY)
    openai_server.script = [
        Reply(chunks=chunks, prompt_tokens=30, completion_tokens=64, chunks_per_write=len(chunks))
    ]
    async with engine_on(lean(openai_server)) as engine:
        items = await run_turn(engine, "local", "Hi")

    deltas = text_deltas(items)
    assert "".join(deltas) == LONG_REPLY
    assert len(deltas) < len(chunks)
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == LONG_REPLY
    assert (result.usage.input_tokens, result.usage.output_tokens) == (30, 64)


async def test_words_written_one_by_one_travel_together_within_the_window(
    openai_server: FakeOpenAI,
) -> None:
    """A server that writes each word on its own (every 5 ms) still costs one delta per
    delta window after the first, which goes alone and at once."""
    chunks = words(LONG_REPLY)
    openai_server.script = [Reply(chunks=chunks, chunks_per_write=1)]
    async with engine_on(lean(openai_server)) as engine:
        items = await run_turn(engine, "local", "Hi")

    deltas = text_deltas(items)
    assert deltas[0] == chunks[0]
    assert "".join(deltas) == LONG_REPLY
    assert len(deltas) < len(chunks) / 2


async def test_a_delta_never_splits_a_write(openai_server: FakeOpenAI) -> None:
    chunks = words(LONG_REPLY)
    openai_server.script = [Reply(chunks=chunks, chunks_per_write=8)]
    async with engine_on(lean(openai_server)) as engine:
        items = await run_turn(engine, "local", "Hi")

    deltas = text_deltas(items)
    assert "".join(deltas) == LONG_REPLY
    writes = ["".join(chunks[i : i + 8]) for i in range(0, len(chunks), 8)]
    write_ends = {len("".join(writes[: i + 1])) for i in range(len(writes))}
    delta_ends = {len("".join(deltas[: i + 1])) for i in range(len(deltas))}
    assert delta_ends <= write_ends


@pytest.mark.parametrize("per_write", [1, 3, 100])
async def test_a_stream_is_the_same_response_as_openai_chat_models(
    openai_server: FakeOpenAI, per_write: int
) -> None:
    text = Reply(chunks=words(LONG_REPLY), chunks_per_write=per_write)
    openai_server.script = [text, text]

    ours = await streamed(lean(openai_server))
    theirs = await streamed(sdk(openai_server))

    assert comparable(ours) == comparable(theirs)
    assert ours.text == LONG_REPLY


WEATHER = ToolDefinition(
    name="weather",
    description="The weather in a city.",
    parameters_json_schema={
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
)
TOOLS = ModelRequestParameters(function_tools=[WEATHER], allow_text_output=True)


def call(
    index: int, *, call_id: str | None = None, name: str | None = None, args: str = ""
) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": args}
    if name is not None:
        function["name"] = name
    fragment: dict[str, Any] = {"index": index, "function": function}
    if call_id is not None:
        fragment.update(id=call_id, type="function")
    return {"tool_calls": [fragment]}


STREAMS = {
    "streamed arguments": Deltas(
        deltas=[
            {"role": "assistant", **call(0, call_id="call_a", name="weather")},
            call(0, args='{"ci'),
            call(0, args='ty": "Pa'),
            call(0, args='ris"}'),
        ],
        finish_reason="tool_calls",
    ),
    "two calls": Deltas(
        deltas=[
            call(0, call_id="call_a", name="weather", args='{"city": '),
            call(0, args='"Paris"}'),
            call(1, call_id="call_b", name="weather", args='{"city": '),
            call(1, args='"Oslo"}'),
        ],
        finish_reason="tool_calls",
    ),
    "reasoning then text": Deltas(
        deltas=[
            {"role": "assistant", "reasoning_content": "The user "},
            {"reasoning_content": "greets me."},
            {"content": "Hello"},
            {"content": " there."},
        ],
    ),
    "think tags in the text": Deltas(
        deltas=[
            {"content": "<think>"},
            {"content": "Short "},
            {"content": "thought."},
            {"content": "</think>"},
            {"content": "Hello"},
            {"content": "!"},
        ],
    ),
    "text then a call then text": Deltas(
        deltas=[
            {"content": "Let me "},
            {"content": "check."},
            call(0, call_id="call_a", name="weather", args='{"city": "Rome"}'),
            {"content": "Done"},
            {"content": "."},
        ],
        finish_reason="tool_calls",
    ),
}


@pytest.mark.parametrize("per_write", [1, 10])
@pytest.mark.parametrize("name", list(STREAMS))
async def test_streams_of_parts_are_the_same_as_openai_chat_models(
    openai_server: FakeOpenAI, name: str, per_write: int
) -> None:
    step = STREAMS[name]
    step.chunks_per_write = per_write
    openai_server.script = [step, step]

    ours = await streamed(lean(openai_server), TOOLS)
    theirs = await streamed(sdk(openai_server), TOOLS)

    assert comparable(ours) == comparable(theirs)
    assert ours.parts
    assert openai_server.received[0].body["tools"] == openai_server.received[1].body["tools"]


@pytest.mark.parametrize("name", list(STREAMS))
async def test_whole_responses_are_the_same_as_openai_chat_models(
    openai_server: FakeOpenAI, name: str
) -> None:
    step = STREAMS[name]
    openai_server.script = [step, step]

    ours = await whole(lean(openai_server), TOOLS)
    theirs = await whole(sdk(openai_server), TOOLS)

    assert comparable(ours) == comparable(theirs)
    ours_body, theirs_body = (r.body for r in openai_server.received)
    assert ours_body == theirs_body


async def test_requests_are_the_bodies_openai_chat_model_sends(openai_server: FakeOpenAI) -> None:
    settings = ModelSettings(temperature=0.3, max_tokens=50, top_p=0.9, seed=7)
    ours = lean(openai_server)
    theirs = sdk(openai_server)
    for model in (ours, theirs):
        async with model, model_request_stream(model, hi(), model_settings=settings) as stream:
            async for _ in stream:
                pass

    ours_body, theirs_body = (r.body for r in openai_server.received)
    assert ours_body == theirs_body
    assert ours_body["temperature"] == 0.3
    assert ours_body["stream_options"] == {"include_usage": True}


OLLAMA_STREAMS = {
    "leading whitespace": Deltas(
        deltas=[{"content": "\n"}, {"content": "\n"}, {"content": "Hi"}, {"content": "!"}]
    ),
    "reasoning field then text": Deltas(
        deltas=[{"reasoning": "Hmm, "}, {"reasoning": "a greeting."}, {"content": "Hello"}]
    ),
    "text cut by reasoning": Deltas(
        deltas=[
            {"content": "One"},
            {"reasoning": "think"},
            {"content": " "},
            {"content": "two"},
        ]
    ),
    "think tags": Deltas(
        deltas=[
            {"content": "<think>"},
            {"content": "\n"},
            {"content": "</think>"},
            {"content": "\n\n"},
            {"content": "Answer"},
        ]
    ),
}


@pytest.mark.parametrize("per_write", [1, 10])
@pytest.mark.parametrize("name", list(OLLAMA_STREAMS))
async def test_ollama_streams_are_the_same_as_ollama_models(
    openai_server: FakeOpenAI, name: str, per_write: int
) -> None:
    step = OLLAMA_STREAMS[name]
    step.chunks_per_write = per_write
    openai_server.script = [step, step]
    provider = OllamaProvider(base_url=openai_server.base_url, api_key=KEY)

    # qwen3's profile drops leading whitespace and reads the `reasoning` field.
    ours = await streamed(OllamaCompatModel("qwen3", provider=provider))
    theirs = await streamed(OllamaModel("qwen3", provider=provider))

    assert comparable(ours) == comparable(theirs)


# The engine's turn: tools, usage, cancel, timeouts


async def test_a_streamed_tool_round_trip(openai_server: FakeOpenAI) -> None:
    openai_server.script = [
        CallTool(name="current_datetime"),
        Reply(chunks=["It is ", "noon."], prompt_tokens=20, completion_tokens=4),
    ]
    async with engine_on(lean(openai_server)) as engine:
        items = await run_turn(engine, "local", "What time is it?")

    started, finished = items[0], items[1]
    assert isinstance(started, ToolCallStarted)
    assert started.tool_name == "current_datetime"
    assert isinstance(finished, ToolCallFinished)
    assert "12:00" in finished.content
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "It is noon."
    assert (result.usage.requests, result.usage.tool_calls) == (2, 1)
    assert (result.usage.input_tokens, result.usage.output_tokens) == (9 + 20, 3 + 4)
    tool_message = openai_server.received[1].body["messages"][-1]
    assert (tool_message["role"], tool_message["tool_call_id"]) == ("tool", "call_1")
    assert "12:00" in tool_message["content"]


async def test_a_tool_round_trip_not_streamed(openai_server: FakeOpenAI) -> None:
    openai_server.script = [CallTool(name="current_datetime"), Reply(chunks=["Noon."])]
    agent = Agent[TurnDeps, str](deps_type=TurnDeps, tools=BUILTIN_TOOLS)

    model = lean(openai_server)
    async with model:
        result = await agent.run("Time?", model=model, deps=TurnDeps(clock=lambda: NOON))

    assert result.output == "Noon."
    assert result.usage.requests == 2
    assert (result.usage.input_tokens, result.usage.output_tokens) == (9 + 11, 3 + 7)
    assert not any(r.body.get("stream") for r in openai_server.received)
    assert "12:00" in openai_server.received[1].body["messages"][-1]["content"]


async def test_turns_share_one_kept_alive_connection(openai_server: FakeOpenAI) -> None:
    async with engine_on(lean(openai_server)) as engine:
        for _ in range(3):
            await run_turn(engine, "local", "Hi")

    assert len({r.client_port for r in openai_server.received}) == 1


async def test_cancelling_a_merged_stream_keeps_the_partial_text(
    openai_server: FakeOpenAI,
) -> None:
    openai_server.script = [Stall(chunks=["Partial ", "answer ", "so far"])]
    cancel = asyncio.Event()
    items = []
    async with engine_on(lean(openai_server)) as engine:
        request = TurnRequest(model_id="local", user_text="Hi")
        async for item in engine.stream_turn(request, cancel=cancel):
            items.append(item)
            if "".join(text_deltas(items)).endswith("so far"):
                cancel.set()

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.cancelled
    assert result.text == "Partial answer so far"


async def test_no_first_token_is_timed_out(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Stall()]
    limits = TurnLimits(first_token_timeout=0.2)
    async with engine_on(lean(openai_server), limits=limits) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "timed_out"


async def test_a_read_timeout_is_timed_out(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Stall(chunks=["Hel"])]
    async with engine_on(lean(openai_server, timeout=0.2)) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "timed_out"


async def test_an_unreachable_server_is_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    provider = OpenAIProvider(base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY)
    model = OpenAICompatModel("m", provider=provider, settings=ModelSettings(max_retries=0))
    async with engine_on(model) as engine:
        with pytest.raises(ChatError) as caught:
            await run_turn(engine, "local", "Hi")

    assert caught.value.kind == "model_unavailable"


async def test_a_dropped_stream_is_unavailable_as_with_openai_chat_model(
    openai_server: FakeOpenAI,
) -> None:
    for model in (lean(openai_server), sdk(openai_server)):
        openai_server.script = [HangUp(chunks=["Half ", "a"])]
        async with engine_on(model) as engine:
            with pytest.raises(ChatError) as caught:
                await run_turn(engine, "local", "Hi")

        assert caught.value.kind == "model_unavailable"


async def test_a_read_timeout_not_streamed_is_timed_out(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Stall()]
    model = lean(openai_server, timeout=0.2, max_retries=0)
    with pytest.raises(ModelTimeoutError):
        await whole(model, ModelRequestParameters())


async def test_concurrent_turns_share_the_pool(openai_server: FakeOpenAI) -> None:
    openai_server.default_reply = Reply(chunks=words(LONG_REPLY))
    async with engine_on(lean(openai_server)) as engine:
        turns = [run_turn(engine, "local", f"Hi {i}") for i in range(40)]
        results = [items[-1] for items in await asyncio.gather(*turns)]

    assert all(isinstance(r, TurnResult) and r.text == LONG_REPLY for r in results)
    prompts = sorted(r.body["messages"][-1]["content"] for r in openai_server.received)
    assert prompts == sorted(f"Hi {i}" for i in range(40))


# Errors: the kinds OpenAIChatModel's give, and never the key

ERRORS = [
    (401, {"error": {"message": f"Incorrect API key: {KEY}", "code": "invalid_api_key"}}),
    (429, {"error": {"message": "Slow down", "code": "rate_limit_exceeded"}}),
    (500, {"error": {"message": "Internal error", "type": "server_error"}}),
    (503, {"error": {"message": "The server is overloaded"}}),
]


@pytest.mark.parametrize(("status", "body"), ERRORS, ids=[str(s) for s, _ in ERRORS])
async def test_error_statuses_end_as_openai_chat_models_kinds(
    openai_server: FakeOpenAI, status: int, body: dict[str, Any]
) -> None:
    kinds = []
    for model in (lean(openai_server), sdk(openai_server)):
        openai_server.script = [Fail(status=status, body=body)]
        async with engine_on(model) as engine:
            with pytest.raises(ChatError) as caught:
                await run_turn(engine, "local", "Hi")
        kinds.append(caught.value.kind)
        assert caught.value.status_code == status
        assert KEY not in str(caught.value)

    assert kinds[0] == kinds[1]
    assert (
        kinds[0]
        == {
            401: "authentication_failed",
            429: "rate_limited",
            500: "provider_error",
            503: "model_unavailable",
        }[status]
    )


async def test_the_key_is_masked_in_the_http_error(openai_server: FakeOpenAI) -> None:
    openai_server.script = [Fail(status=401, body=ERRORS[0][1])]
    with pytest.raises(ModelHTTPError) as caught:
        await streamed(lean(openai_server))

    error = caught.value
    assert (error.status_code, error.model_name) == (401, "qwen2.5-7b")
    assert KEY not in str(error)
    assert KEY not in json.dumps(error.body)


async def test_a_retryable_status_is_retried(openai_server: FakeOpenAI) -> None:
    openai_server.script = [
        Fail(status=503, body={"error": {"message": "busy"}}, should_retry=None),
        Reply(chunks=["Second ", "time."]),
    ]
    async with engine_on(lean(openai_server)) as engine:
        items = await run_turn(engine, "local", "Hi")

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Second time."
    assert len(openai_server.received) == 2


async def test_configured_compatible_models_are_lean(openai_server: FakeOpenAI) -> None:
    entry = {
        "id": "local",
        "provider": "openai-compatible",
        "model": "qwen2.5-7b",
        "base_url": openai_server.base_url,
        "api_key_env": "LOCAL_KEY",
    }
    catalog = load_model_catalog({"PY_APP_MODELS": json.dumps([entry]), "LOCAL_KEY": KEY})

    assert isinstance(catalog.build("local"), OpenAICompatModel)
