"""Failures in OpenAI's shape and status, each surfacing as the official client's own
exception type."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam

from .conftest import RETRY_AFTER, Caller

USER: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Hi"}]


def client_for(caller: Caller, token: str | None = None) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=token or caller.token, max_retries=0
    )


def assert_openai_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"message", "type", "param", "code"}
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body


async def test_unknown_model(caller: Caller) -> None:
    async with client_for(caller) as client:
        with pytest.raises(openai.NotFoundError) as raised:
            await client.chat.completions.create(model="gpt-9", messages=USER)
        with pytest.raises(openai.NotFoundError):
            await client.chat.completions.create(model="gpt-9", messages=USER, stream=True)
    assert raised.value.code == "model_not_found"
    assert raised.value.param == "model"
    assert "echo" in raised.value.message


async def test_bad_missing_and_revoked_tokens(caller: Caller) -> None:
    async with client_for(caller, "pya_not-a-token") as client:
        with pytest.raises(openai.AuthenticationError) as raised:
            await client.chat.completions.create(model="echo", messages=USER)
    assert raised.value.code == "invalid_api_key"

    async with client_for(caller) as client:
        await client.models.list()
        response = await caller.browser.delete(f"/api/v1/tokens/{caller.token_id}")
        assert response.status_code == 204
        with pytest.raises(openai.AuthenticationError):
            await client.chat.completions.create(model="echo", messages=USER)
        with pytest.raises(openai.AuthenticationError):
            await client.models.list()

    # The browser's session cookie is not an API token.
    url = f"{caller.base_url}/chat/completions"
    body = {"model": "echo", "messages": USER}
    assert_openai_error(await caller.browser.post(url, json=body), 401, "invalid_api_key")
    headers = {"Authorization": "Basic abc"}
    assert_openai_error(await caller.browser.post(url, json=body, headers=headers), 401)
    assert (await caller.browser.get("/api/v1/threads")).json()["items"] == []


@pytest.mark.parametrize(
    ("changes", "param"),
    [
        ({"messages": [{"role": "assistant", "content": "Hello"}]}, "messages"),
        ({"messages": [{"role": "system", "content": "Only rules"}]}, "messages"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "tool", "content": "42", "tool_call_id": "x"}]}, None),
        ({"messages": [{"role": "user"}]}, None),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            None,
        ),
        ({"messages": [{"role": "user", "content": "nul \x00 char"}]}, "messages"),
        ({"temperature": 3}, "temperature"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"n": 2}, "n"),
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
    ],
)
async def test_malformed_requests(
    caller: Caller, changes: dict[str, Any], param: str | None
) -> None:
    body: dict[str, Any] = {"model": "echo", "messages": USER, **changes}
    async with client_for(caller) as client:
        with pytest.raises(openai.BadRequestError) as raised:
            await client.chat.completions.create(**body)
    assert raised.value.status_code == 400
    assert raised.value.type == "invalid_request_error"
    if param is not None:
        assert (raised.value.param or "").split(".")[0] == param


async def test_malformed_bodies_are_400_not_422(caller: Caller) -> None:
    url = f"{caller.base_url}/chat/completions"
    headers = {"Authorization": f"Bearer {caller.token}", "Content-Type": "application/json"}
    async with httpx.AsyncClient(headers=headers) as http:
        assert_openai_error(await http.post(url, content=b"{not json"), 400)
        assert_openai_error(await http.post(url, json={"messages": USER}), 400, "invalid_value")
        assert_openai_error(await http.post(url, json=["a list"]), 400)
        # Fields this server does not use are ignored, as OpenAI-compatible servers do.
        response = await http.post(
            url, json={"model": "echo", "messages": USER, "top_p": 0.5, "seed": 1, "user": "x"}
        )
        assert response.status_code == 200, response.text


async def test_rate_limited_by_the_provider(caller: Caller) -> None:
    async with client_for(caller) as client:
        with pytest.raises(openai.RateLimitError) as raised:
            await client.chat.completions.create(model="busy", messages=USER)
        with pytest.raises(openai.RateLimitError) as streamed:
            await client.chat.completions.create(model="busy", messages=USER, stream=True)
    for error in (raised.value, streamed.value):
        assert error.code == "rate_limit_exceeded"
        assert error.response.headers["Retry-After"] == str(RETRY_AFTER)
    # Kept in the owner's history as failed replies, like a failed chat turn.
    threads = (await caller.browser.get("/api/v1/threads")).json()["items"]
    assert len(threads) == 2
    messages = (await caller.browser.get(f"/api/v1/threads/{threads[0]['id']}/messages")).json()
    assert messages["items"][-1]["status"] == "failed"


async def test_the_client_retries_a_rate_limit_as_told(caller: Caller) -> None:
    """With its default retries the client honours Retry-After; here, one quick retry."""
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=1, timeout=30
    ) as client:
        started = asyncio.get_running_loop().time()
        with pytest.raises(openai.RateLimitError):
            await client.chat.completions.create(model="busy", messages=USER)
    # openai waits for Retry-After when it is at most 60 s.
    assert asyncio.get_running_loop().time() - started >= RETRY_AFTER - 1


async def drain(stream: openai.AsyncStream[ChatCompletionChunk], into: list[str]) -> None:
    async for chunk in stream:
        into.append(chunk.choices[0].delta.content or "")


async def test_a_failure_mid_stream_is_an_error_event(caller: Caller) -> None:
    async with client_for(caller) as client:
        stream = await client.chat.completions.create(model="broken", messages=USER, stream=True)
        received: list[str] = []
        with pytest.raises(openai.APIError) as raised:
            await drain(stream, received)
        with pytest.raises(openai.InternalServerError):
            await client.chat.completions.create(model="broken", messages=USER)
    assert "".join(received) == "Starting to answer "
    assert raised.value.message
    threads = (await caller.browser.get("/api/v1/threads")).json()["items"]
    replies = [
        (await caller.browser.get(f"/api/v1/threads/{t['id']}/messages")).json()["items"][-1]
        for t in threads
    ]
    assert {r["status"] for r in replies} == {"failed"}
    assert "Starting to answer " in {r["text"] for r in replies}
