"""With `OPENAI_API_KEEP_THREADS=false` a call leaves no thread, and still counts."""

from __future__ import annotations

import logging
from typing import Any

import openai
import pytest

from py_core.chat.usage import get_usage
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import User

from ..harness import LiveApp  # noqa: TID252 (shared app test helpers)
from .conftest import Caller


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"openai_api_keep_threads": False}


async def test_calls_not_kept_still_count(caller: Caller, live_app: LiveApp) -> None:
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=0
    ) as client:
        completion = await client.chat.completions.create(
            model="echo", messages=[{"role": "user", "content": "Hi"}]
        )
        stream = await client.chat.completions.create(
            model="echo",
            messages=[{"role": "user", "content": "Hi"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = [chunk async for chunk in stream]
    streamed = chunks[-1].usage
    assert completion.usage is not None
    assert streamed is not None

    assert (await caller.browser.get("/api/v1/threads")).json()["items"] == []
    runtime = live_app.app.state.runtime
    me = (await caller.browser.get("/api/v1/me")).json()
    async with session_scope(runtime.sessions) as db:
        ctx = Context(db=db, logger=logging.getLogger("test"))
        usage = await get_usage(ctx.as_user(await db.get_one(User, me["id"])))
    assert usage.input_tokens == completion.usage.prompt_tokens + streamed.prompt_tokens
    assert usage.output_tokens == completion.usage.completion_tokens + streamed.completion_tokens

    metrics = (await caller.browser.get("/metrics")).text
    assert 'model_tokens_total{direction="output",model="echo-1"}' in metrics
