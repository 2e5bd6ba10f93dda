"""The official `openai` client against the served app: sync and async, streamed and not."""

from __future__ import annotations

import asyncio
from typing import Any

import openai
import pytest

from ..scripted import echo_reply  # noqa: TID252 (shared app test helpers)
from .conftest import Caller

CONVERSATION: list[Any] = [
    {"role": "system", "content": "You are terse."},
    {"role": "user", "content": "Name a colour."},
    {"role": "assistant", "content": "Blue."},
    {
        "role": "user",
        "content": [{"type": "text", "text": "Another "}, {"type": "text", "text": "one? words=3"}],
    },
]
LAST_PROMPT = "Another one? words=3"


def sync_client(caller: Caller) -> openai.OpenAI:
    return openai.OpenAI(base_url=caller.base_url, api_key=caller.token, max_retries=0)


def async_client(caller: Caller) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=caller.base_url, api_key=caller.token, max_retries=0)


async def test_models(caller: Caller) -> None:
    def run() -> tuple[list[str], str]:
        with sync_client(caller) as client:
            ids = [model.id for model in client.models.list()]
            return ids, client.models.retrieve("echo").owned_by

    ids, owner = await asyncio.to_thread(run)
    assert ids == ["echo", "broken", "busy"]
    assert owner == "custom"
    async with async_client(caller) as client:
        with pytest.raises(openai.NotFoundError):
            await client.models.retrieve("nope")


async def test_sync_client_not_streamed_is_kept_as_a_thread(caller: Caller) -> None:
    def run() -> Any:
        with sync_client(caller) as client:
            return client.chat.completions.create(
                model="echo", messages=CONVERSATION, temperature=0.2, max_tokens=50
            )

    completion = await asyncio.to_thread(run)
    assert completion.object == "chat.completion"
    assert completion.id.startswith("chatcmpl-")
    assert completion.model == "echo"
    [choice] = completion.choices
    assert choice.message.role == "assistant"
    assert choice.message.content == echo_reply(LAST_PROMPT)
    assert choice.finish_reason == "stop"
    assert completion.usage is not None
    assert completion.usage.prompt_tokens > 0
    assert completion.usage.completion_tokens > 0
    assert completion.usage.total_tokens == (
        completion.usage.prompt_tokens + completion.usage.completion_tokens
    )

    # The call is in the owner's history, as a thread the UI and the API show.
    [thread] = (await caller.browser.get("/api/v1/threads")).json()["items"]
    assert thread["title"] == "Name a colour."
    assert thread["model"] == "echo"
    assert thread["instructions"] == "You are terse."
    messages = (await caller.browser.get(f"/api/v1/threads/{thread['id']}/messages")).json()
    assert [(m["role"], m["text"]) for m in messages["items"]] == [
        ("user", "Name a colour."),
        ("assistant", "Blue."),
        ("user", LAST_PROMPT),
        ("assistant", echo_reply(LAST_PROMPT)),
    ]
    reply = messages["items"][-1]
    assert completion.id == f"chatcmpl-{reply['id']}"
    assert reply["status"] == "complete"
    assert (reply["model"], reply["model_name"]) == ("echo", "echo-1")
    assert reply["usage"] == {
        "input_tokens": completion.usage.prompt_tokens,
        "output_tokens": completion.usage.completion_tokens,
        "cost_usd": None,  # the echo model has no price: unknown, never 0
    }


async def test_sync_client_streamed_with_usage(caller: Caller) -> None:
    def run() -> list[Any]:
        with sync_client(caller) as client:
            stream = client.chat.completions.create(
                model="echo",
                messages=CONVERSATION,
                stream=True,
                stream_options={"include_usage": True},
            )
            return list(stream)

    chunks = await asyncio.to_thread(run)
    assert {chunk.object for chunk in chunks} == {"chat.completion.chunk"}
    assert len({chunk.id for chunk in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == echo_reply(LAST_PROMPT)
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) > 3
    finish = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finish[-1] == "stop"
    assert set(finish[:-1]) == {None}
    *_, last = chunks
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.completion_tokens > 0


async def test_async_client_streamed_and_not(caller: Caller) -> None:
    async with async_client(caller) as client:
        stream = await client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "Hi"}], stream=True
        )
        chunks = [chunk async for chunk in stream]
        completion = await client.chat.completions.create(
            model="echo",
            messages=[
                {"role": "developer", "content": "Be kind."},
                {"role": "user", "content": "Hi"},
            ],
            max_completion_tokens=100,
        )
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == echo_reply("Hi")
    assert all(c.usage is None for c in chunks)  # no include_usage
    assert completion.choices[0].message.content == echo_reply("Hi")
    threads = (await caller.browser.get("/api/v1/threads")).json()["items"]
    assert [t["instructions"] for t in threads] == ["Be kind.", None]


async def test_async_client_stream_cut_short_keeps_a_cancelled_reply(caller: Caller) -> None:
    async with async_client(caller) as client:
        stream = await client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "Count words=200"}], stream=True
        )
        async for chunk in stream:
            if "word3" in (chunk.choices[0].delta.content or ""):
                break
        await stream.close()

    # The reply is recorded once the server notices the disconnect.
    async with asyncio.timeout(10):
        while True:
            threads = (await caller.browser.get("/api/v1/threads")).json()["items"]
            if threads:
                break
            await asyncio.sleep(0.05)
    url = f"/api/v1/threads/{threads[0]['id']}/messages"
    reply = (await caller.browser.get(url)).json()["items"][-1]
    assert reply["status"] == "cancelled"
    assert "word3" in reply["text"]
    assert "word199" not in reply["text"]
