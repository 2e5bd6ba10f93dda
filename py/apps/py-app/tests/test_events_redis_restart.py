"""A Redis that comes back empty: the event stream's `resync` still lets a client hear
how the reply it was following ended. On PostgreSQL with a Redis of the test's own,
which the test kills (losing every key) and starts again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from py_app.settings import Settings
from py_core_testing.redis_server import RedisServer

from .harness import new_thread, post, read_events, reply_finished, sign_up, wait_for_reply

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])


@pytest.fixture
async def redis_server() -> AsyncIterator[RedisServer]:
    async with RedisServer.running() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    return redis_server.url


async def wait_for_stream(url: str, key: str, event_type: str) -> None:
    """Until the outbox relay has published `event_type` to the (new) stream `key`."""
    client = Redis.from_url(url, decode_responses=True)
    try:
        async with asyncio.timeout(30):
            while True:
                entries: Any = await client.xrange(key)
                if any(f'"type":"{event_type}"' in fields["event"] for _, fields in entries):
                    return
                await asyncio.sleep(0.1)
    finally:
        await client.aclose()


@pytest.mark.parametrize("model_delay", [0.05])
async def test_a_resync_after_redis_lost_its_streams_tells_how_the_reply_ended(
    client: httpx.AsyncClient, redis_server: RedisServer, app_settings: Settings
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Outlive the outage words=40")
    reply_id = turn["assistant_message"]["id"]
    seen = await read_events(client, thread["id"], limit=4)
    old_id = seen[-1].id
    assert old_id is not None
    await redis_server.stop()
    stored = await wait_for_reply(client, thread["id"], reply_id)  # written, not published
    await redis_server.start()  # empty
    key = f"{app_settings.events_namespace}:thread:{thread['id']}"
    await wait_for_stream(redis_server.url, key, "message.completed")
    # Today's position is past the completed event: a client that goes on from the
    # resync (without reloading) must still be told that the reply ended.
    events = await read_events(
        client, thread["id"], last_event_id=old_id, stop=reply_finished(reply_id), within=10
    )
    assert events[0].event == "resync"
    final = events[-1]
    assert (final.event, final.data["text"]) == ("message.completed", stored["text"])
    assert all(e.id != "0-0" for e in events)


async def test_a_resync_on_a_stream_redis_no_longer_has_carries_no_pseudo_id(
    client: httpx.AsyncClient, redis_server: RedisServer
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    (created,) = await read_events(client, thread["id"], limit=1)
    assert created.id is not None
    await redis_server.stop()
    await redis_server.start()  # nothing of the thread is left, and nothing new came
    (resync,) = await read_events(client, thread["id"], last_event_id=created.id, limit=1)
    assert resync.event == "resync"
    # An empty `id:` resets the client's Last-Event-ID: a reconnect gets what is retained.
    assert resync.id == ""
    assert resync.data == {"thread_id": thread["id"], "last_event_id": None}
