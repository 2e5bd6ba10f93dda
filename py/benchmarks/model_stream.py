"""CPU per streamed 64-word reply: raw HTTP read, `OpenAIChatModel`, and the lean model.

The fake OpenAI server runs in a child process, one word per chunk, as fast as it can and
then paced at a real model's 50 words/s, so `time.process_time` here counts the client
side alone: what the app pays per reply.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx2
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from benchmarks._report import figure, section
from py_core.ai_ml import ChatEngine, ModelCatalog, TextDelta, TurnRequest, load_model_catalog
from py_core_testing.models import FakeOpenAI, Reply, catalog_of, serve_fake_openai, words

WORDS = 64
REPLIES = 200
WARMUP = 20
REPLY_TEXT = " ".join(f"word{i}" for i in range(WORDS))
KEY_VAR = "BENCH_KEY"
PACED_GAP = 1 / 50
CONCURRENT = 20
ROUNDS = 2


async def run() -> None:
    section(f"one streamed reply of {WORDS} words, one per chunk: client CPU per reply")
    async with _server(0) as base_url:
        await _measure_all(base_url)
    section(f"the same reply at 50 words/s, {CONCURRENT} at once: client CPU per reply")
    async with _server(PACED_GAP) as base_url:
        await _measure_paced(base_url)


@asynccontextmanager
async def _server(gap: float) -> AsyncIterator[str]:
    """The fake server in a child process, writing a chunk every `gap` seconds; its URL."""
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "benchmarks.model_stream",
        "--serve",
        str(gap),
        stdout=asyncio.subprocess.PIPE,
    )
    try:
        assert server.stdout is not None
        yield (await server.stdout.readline()).decode().strip()
    finally:
        server.terminate()
        await server.wait()


def _catalog(base_url: str, provider: str) -> ModelCatalog:
    entry = {
        "id": "m",
        "provider": provider,
        "model": "bench",
        "base_url": base_url,
        "api_key_env": KEY_VAR,
    }
    return load_model_catalog({"PY_APP_MODELS": json.dumps([entry]), KEY_VAR: "sk-bench"})


MODELS = (
    ("OpenAIChatModel via ChatEngine.stream_turn", "openai"),
    ("lean model via ChatEngine.stream_turn", "openai-compatible"),
)


async def _measure_all(base_url: str) -> None:
    async with httpx2.AsyncClient() as client:
        raw = await _cpu_per_reply(lambda: _raw_reply(client, base_url))
    figure("httpx2 + json.loads, no pydantic-ai (the floor)", raw * 1000, "ms CPU")
    for label, provider in MODELS:
        async with _catalog(base_url, provider) as catalog:
            cpu, mean_deltas = await _engine_cpu(ChatEngine(catalog))
        figure(label, cpu * 1000, "ms CPU", f"{mean_deltas:.1f} text deltas per reply")
    # No HTTP at all: what pydantic-ai and the engine cost per turn, and per streamed event.
    for label, chunks in (
        ("FunctionModel, no HTTP, the reply as 1 chunk", [REPLY_TEXT]),
        (f"FunctionModel, no HTTP, {WORDS} chunks", words(REPLY_TEXT)),
    ):
        engine = ChatEngine(catalog_of({"m": _function_model(chunks)}))
        cpu, mean_deltas = await _engine_cpu(engine)
        figure(label, cpu * 1000, "ms CPU", f"{mean_deltas:.1f} text deltas per reply")


async def _measure_paced(base_url: str) -> None:
    for label, provider in MODELS:
        deltas: list[int] = []
        async with _catalog(base_url, provider) as catalog:
            engine = ChatEngine(catalog)
            await _engine_reply(engine, deltas)
            start = time.process_time()
            for _ in range(ROUNDS):
                turns = [_engine_reply(engine, deltas) for _ in range(CONCURRENT)]
                await asyncio.gather(*turns)
            cpu = (time.process_time() - start) / (ROUNDS * CONCURRENT)
        mean_deltas = sum(deltas[1:]) / (ROUNDS * CONCURRENT)
        figure(label, cpu * 1000, "ms CPU", f"{mean_deltas:.1f} text deltas per reply")


async def _cpu_per_reply(reply: Callable[[], Awaitable[None]]) -> float:
    for _ in range(WARMUP):
        await reply()
    start = time.process_time()
    for _ in range(REPLIES):
        await reply()
    return (time.process_time() - start) / REPLIES


async def _engine_cpu(engine: ChatEngine) -> tuple[float, float]:
    """CPU seconds per reply, and the mean number of text deltas a reply arrived in."""
    deltas: list[int] = []
    cpu = await _cpu_per_reply(lambda: _engine_reply(engine, deltas))
    return cpu, sum(deltas[-REPLIES:]) / REPLIES


async def _raw_reply(client: httpx2.AsyncClient, base_url: str) -> None:
    body = {"model": "bench", "messages": [{"role": "user", "content": "Hi"}], "stream": True}
    text = []
    async with client.stream("POST", f"{base_url}/chat/completions", json=body) as response:
        async for line in response.aiter_lines():
            if line.startswith("data: ") and line != "data: [DONE]":
                for choice in json.loads(line[6:])["choices"]:
                    text.append(choice["delta"].get("content") or "")
    assert "".join(text) == REPLY_TEXT


async def _engine_reply(engine: ChatEngine, deltas: list[int]) -> None:
    count = 0
    text = ""
    async for item in engine.stream_turn(TurnRequest(model_id="m", user_text="Hi")):
        if isinstance(item, TextDelta):
            count += 1
            text += item.text
    assert text == REPLY_TEXT, text
    deltas.append(count)


def _function_model(chunks: list[str]) -> FunctionModel:
    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        for chunk in chunks:
            yield chunk

    return FunctionModel(stream_function=stream)


async def _serve(gap: float) -> None:
    app = FakeOpenAI(default_reply=Reply(chunks=words(REPLY_TEXT)), write_interval=gap)
    async with serve_fake_openai(app):
        print(app.base_url, flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__" and sys.argv[1:2] == ["--serve"]:
    asyncio.run(_serve(float(sys.argv[2])))
