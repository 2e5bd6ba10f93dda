"""An unconfigured deployment serves its offline demo model on `/v1` too; the threads a
call leaves are its token owner's alone."""

from __future__ import annotations

import httpx
import openai
import pytest

from py_core.ai_ml import ModelCatalog

from ..harness import sign_up  # noqa: TID252 (shared app test helpers)
from .conftest import Caller


@pytest.fixture
def catalog() -> ModelCatalog:
    return ModelCatalog.demo(delay=0)


async def test_demo_model_and_ownership(caller: Caller, other_client: httpx.AsyncClient) -> None:
    async with openai.AsyncOpenAI(
        base_url=caller.base_url, api_key=caller.token, max_retries=0
    ) as client:
        assert [m.id async for m in client.models.list()] == ["demo"]
        stream = await client.chat.completions.create(
            model="demo", messages=[{"role": "user", "content": "Is this real?"}], stream=True
        )
        text = "".join([c.choices[0].delta.content or "" async for c in stream])
    assert text.startswith("This is the offline demo model")
    assert "Your message has 3 words" in text

    [thread] = (await caller.browser.get("/api/v1/threads")).json()["items"]
    await sign_up(other_client, "eve@example.com")
    assert (await other_client.get("/api/v1/threads")).json()["items"] == []
    response = await other_client.get(f"/api/v1/threads/{thread['id']}/messages")
    assert response.status_code == 404
