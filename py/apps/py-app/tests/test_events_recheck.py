"""An open event stream does not outlive the right to read it."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from .harness import LiveApp, new_thread, post, read_events, reply_finished, sign_up


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"sse_recheck_seconds": 0}  # check before every event


async def _token_client(live_app: LiveApp, client: httpx.AsyncClient) -> httpx.AsyncClient:
    response = await client.post("/api/v1/tokens", json={"name": "poster"})
    assert response.status_code == 201, response.text
    return live_app.client(headers={"Authorization": f"Bearer {response.json()['token']}"})


async def test_signing_out_ends_the_open_stream(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    async with await _token_client(live_app, client) as poster:
        first = await post(poster, thread["id"], "one")
        reading = asyncio.create_task(read_events(client, thread["id"]))
        # The stream is open and delivering while the session is valid...
        seen = await read_events(
            client, thread["id"], stop=reply_finished(first["assistant_message"]["id"])
        )
        assert seen[-1].event == "message.completed"
        assert (await client.post("/api/v1/auth/logout")).status_code == 204
        second = await post(poster, thread["id"], "two")
        # ...and ends, without a word of the next reply, once it is not.
        events = await asyncio.wait_for(reading, timeout=20)
    second_ids = {second["user_message"]["id"], second["assistant_message"]["id"]}
    assert not [e for e in events if e.data.get("message_id") in second_ids]


async def test_a_revoked_token_ends_the_open_stream(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    async with await _token_client(live_app, client) as reader:
        token_id = (await client.get("/api/v1/tokens")).json()["items"][0]["id"]
        reading = asyncio.create_task(read_events(reader, thread["id"]))
        first = await post(client, thread["id"], "one")
        await read_events(
            reader, thread["id"], stop=reply_finished(first["assistant_message"]["id"])
        )
        assert (await client.delete(f"/api/v1/tokens/{token_id}")).status_code == 204
        second = await post(client, thread["id"], "two")
        events = await asyncio.wait_for(reading, timeout=20)
    assert not [e for e in events if e.data.get("message_id") == second["assistant_message"]["id"]]
