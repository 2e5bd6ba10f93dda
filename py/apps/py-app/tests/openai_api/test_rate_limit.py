"""The app's own limit on `/v1` calls per account, seen through the official client."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from .conftest import Caller

LIMIT = 2
USER: list[Any] = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"api_requests_per_minute": LIMIT}


async def test_calls_beyond_the_limit_get_429_with_retry_after(caller: Caller) -> None:
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=0
    ) as client:
        for _ in range(LIMIT):
            await client.models.list()
        with pytest.raises(openai.RateLimitError) as raised:
            await client.chat.completions.create(model="echo", messages=USER)
    assert raised.value.code == "rate_limit_exceeded"
    retry_after = int(raised.value.response.headers["Retry-After"])
    assert 1 <= retry_after <= 60
    # Nothing was stored for the refused call.
    assert (await caller.browser.get("/api/v1/threads")).json()["items"] == []
