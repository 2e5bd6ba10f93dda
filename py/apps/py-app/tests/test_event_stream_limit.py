"""A user holds at most `EVENT_STREAMS_PER_USER` event streams open (per process);
429 beyond, and a closed stream gives its place back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import httpx
import pytest

from .harness import LiveApp, assert_error, new_thread, sign_up

PER_USER = 3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"event_streams_per_user": PER_USER}


@asynccontextmanager
async def open_stream(
    client: httpx.AsyncClient, thread_id: str, **headers: str
) -> AsyncIterator[httpx.Response]:
    """The stream's response once its headers arrived; closed on exit."""
    async with client.stream(
        "GET", f"/api/v1/threads/{thread_id}/events", headers=headers
    ) as response:
        yield response


async def test_streams_beyond_the_limit_get_429_until_one_closes(
    live_app: LiveApp, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    ada = await sign_up(client, "ada@example.com")
    threads = [await new_thread(client) for _ in range(2)]
    created = await client.post("/api/v1/tokens", json={"name": "cli"})
    token = {"Authorization": f"Bearer {created.json()['token']}"}
    async with AsyncExitStack() as held, live_app.client() as bearer:
        # Cookie and token, on any of the user's threads: one count.
        for index in range(PER_USER):
            caller, headers = (bearer, token) if index == 0 else (client, {})
            thread = threads[index % 2]["id"]
            response = await held.enter_async_context(open_stream(caller, thread, **headers))
            assert response.status_code == 200
        for caller, headers in ((client, {}), (bearer, token)):
            refused = await caller.get(
                f"/api/v1/threads/{threads[0]['id']}/events", headers=headers
            )
            assert_error(refused, 429, "too_many_streams")
        # Another user is not affected.
        await sign_up(other_client, "grace@example.com")
        theirs = await new_thread(other_client)
        async with open_stream(other_client, theirs["id"]) as response:
            assert response.status_code == 200
    # All closed: every place is back, on this process.
    streams = live_app.app.state.runtime.open_streams
    async with asyncio.timeout(5):
        while streams.held(ada.id):
            await asyncio.sleep(0.02)
    async with AsyncExitStack() as held:
        for _ in range(PER_USER):
            response = await held.enter_async_context(open_stream(client, threads[0]["id"]))
            assert response.status_code == 200
