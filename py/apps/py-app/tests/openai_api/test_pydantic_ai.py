"""pydantic-ai's own OpenAI model, pointed at the app: other pydantic-ai programs can use
the app's models, accounts and history with no adjustment."""

from __future__ import annotations

from collections.abc import AsyncIterator

import openai
import pytest
from pydantic_ai import Agent
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider

from ..scripted import echo_reply  # noqa: TID252 (shared app test helpers)
from .conftest import Caller


@pytest.fixture
async def agent(caller: Caller) -> AsyncIterator[Agent[None, str]]:
    async with openai.AsyncOpenAI(base_url=caller.base_url, api_key=caller.token) as client:
        model = OpenAIChatModel("echo", provider=OpenAIProvider(openai_client=client))
        with override_allow_model_requests(True):
            yield Agent(model, instructions="Answer briefly.")


async def test_agent_run_and_run_stream(agent: Agent[None, str], caller: Caller) -> None:
    result = await agent.run("Hello there")
    assert result.output == echo_reply("Hello there")
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens > 0

    # The next turn sends the whole history back, as pydantic-ai does with any provider.
    again = await agent.run("And again words=2", message_history=result.all_messages())
    assert again.output == echo_reply("And again words=2")

    async with agent.run_stream("Stream it words=30") as stream:
        deltas = [delta async for delta in stream.stream_text(delta=True)]
    assert len(deltas) > 1
    assert "".join(deltas) == echo_reply("Stream it words=30")
    assert stream.usage.output_tokens > 0

    # The follow-up continued the first call's thread: one thread per conversation.
    threads = (await caller.browser.get("/api/v1/threads")).json()["items"]
    assert [t["title"] for t in threads] == ["Stream it words=30", "Hello there"]
    assert {t["instructions"] for t in threads} == {"Answer briefly."}
    url = f"/api/v1/threads/{threads[1]['id']}/messages"
    messages = (await caller.browser.get(url)).json()["items"]
    assert [m["text"] for m in messages] == [
        "Hello there",
        echo_reply("Hello there"),
        "And again words=2",
        echo_reply("And again words=2"),
    ]


async def test_agent_sees_the_apps_errors_as_its_own(caller: Caller) -> None:
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=0
    ) as client:
        agent = Agent(OpenAIChatModel("gpt-9", provider=OpenAIProvider(openai_client=client)))
        with override_allow_model_requests(True), pytest.raises(ModelHTTPError) as raised:
            await agent.run("Hi")
    assert raised.value.status_code == 404
