"""The SSE stream: full replies, resume at random points, mid-reply joins, resync."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from .harness import (
    FINAL_TYPES,
    LiveApp,
    SseEvent,
    assert_error,
    new_thread,
    post,
    read_events,
    reply_finished,
    sign_up,
    wait_for_reply,
)
from .scripted import echo_reply


def reassemble(events: list[SseEvent], message_id: str) -> str:
    """The reply's text from its deltas, checking they come in order, none missing."""
    deltas = [
        e for e in events if e.event == "message.delta" and e.data["message_id"] == message_id
    ]
    assert [e.data["seq"] for e in deltas] == list(range(len(deltas)))
    return "".join(e.data["text"] for e in deltas)


async def test_a_reply_streams_with_ids_and_types(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Stream me words=30")
    reply_id = turn["assistant_message"]["id"]
    events = await read_events(client, thread["id"], stop=reply_finished(reply_id))
    assert events[0].event == "thread.created"
    assert all(e.id for e in events)
    assert len({e.id for e in events}) == len(events)
    types = [e.event for e in events]
    assert types.count("message.created") == 2
    assert types[-1] == "message.completed"
    assert "owner_id" not in events[-1].data
    text = reassemble(events, reply_id)
    assert text == events[-1].data["text"] == echo_reply("Stream me words=30")
    stored = await wait_for_reply(client, thread["id"], reply_id)
    assert stored["text"] == text


@pytest.mark.parametrize("model_delay", [0.02])
async def test_resume_at_random_points_loses_and_repeats_nothing(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    rng = random.Random(6)
    for round_ in range(2):
        turn = await post(client, thread["id"], f"Round {round_} words=60")
        reply_id = turn["assistant_message"]["id"]
        collected: list[SseEvent] = []
        last_id: str | None = None
        done = False
        while not done:
            batch = await read_events(
                client,
                thread["id"],
                last_event_id=last_id,
                via=rng.choice(["header", "query"]),
                limit=rng.randint(1, 6),
                stop=reply_finished(reply_id),
            )
            collected += batch
            last_id = batch[-1].id
            done = reply_finished(reply_id)(batch[-1])
        ids = [e.id for e in collected]
        assert len(ids) == len(set(ids)), "an event came twice"
        stored = await wait_for_reply(client, thread["id"], reply_id)
        assert (
            reassemble(collected, reply_id)
            == stored["text"]
            == echo_reply(f"Round {round_} words=60")
        )


@pytest.mark.parametrize("model_delay", [0.03])
async def test_joining_mid_reply_gets_the_text_so_far_then_live(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Take your time words=60")
    reply_id = turn["assistant_message"]["id"]
    await asyncio.sleep(0.6)  # some deltas are out already
    status = (await client.get(f"/api/v1/threads/{thread['id']}/messages")).json()["items"][-1]
    assert status["status"] == "streaming"
    events = await read_events(client, thread["id"], stop=reply_finished(reply_id))
    assert reassemble(events, reply_id) == echo_reply("Take your time words=60")


@pytest.mark.parametrize("settings_overrides", [{"events_thread_maxlen": 10}])
async def test_a_trimmed_id_gets_resync_and_the_stream_goes_on(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    first = await read_events(client, thread["id"], limit=1)
    old_id = first[0].id
    assert old_id is not None
    turn = await post(client, thread["id"], "Long enough to trim words=80")
    await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    for via in ("header", "query"):
        events = await read_events(client, thread["id"], last_event_id=old_id, via=via, limit=1)
        assert events[0].event == "resync"
        assert events[0].data["thread_id"] == thread["id"]
        assert events[0].id == events[0].data["last_event_id"]
    # After the resync the stream is live: the next turn arrives on it.
    resync_id = events[0].id
    turn = await post(client, thread["id"], "again words=3")
    live = await read_events(
        client,
        thread["id"],
        last_event_id=resync_id,
        stop=reply_finished(turn["assistant_message"]["id"]),
    )
    ours = {turn["user_message"]["id"], turn["assistant_message"]["id"]}
    assert [e.event for e in live if e.data.get("message_id") in ours][:2] == [
        "message.created",
        "message.created",
    ]
    assert reassemble(live, turn["assistant_message"]["id"]) == echo_reply("again words=3")


async def test_idle_streams_get_heartbeats(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    comments: list[str] = []
    # Skip past what is retained, then wait on an idle stream.
    first = await read_events(client, thread["id"], limit=1)
    await read_events(client, thread["id"], last_event_id=first[0].id, comments=comments, within=5)
    assert comments
    assert comments[0].startswith(":")


async def test_stream_refusals(live_app: LiveApp, client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    url = f"/api/v1/threads/{thread['id']}/events"
    assert_error(await client.get(url, headers={"Last-Event-ID": "yesterday"}), 422)
    assert_error(await client.get(url, params={"last_event_id": "1-2-3"}), 422)
    # Each half of an id is a 64-bit unsigned number on Redis, so on both buses.
    for beyond in (f"{2**64}-0", f"1-{2**64}"):
        assert_error(await client.get(url, headers={"Last-Event-ID": beyond}), 422)
        assert_error(await client.get(url, params={"last_event_id": beyond}), 422)
    assert_error(await client.get("/api/v1/threads/nope/events"), 404)
    async with live_app.client() as anonymous:
        assert_error(await anonymous.get(url), 401)


async def test_a_deleted_thread_ends_its_stream(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)

    async def delete_soon() -> None:
        await asyncio.sleep(0.3)
        await client.delete(f"/api/v1/threads/{thread['id']}")

    deleter = asyncio.create_task(delete_soon())
    events = await read_events(client, thread["id"], within=10, stop=lambda e: False)
    await deleter
    assert events[-1].event == "thread.deleted"
    assert_error(await client.get(f"/api/v1/threads/{thread['id']}/events"), 404)


async def test_open_streams_and_tokens_are_measured(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "count me words=3")
    reply_id = turn["assistant_message"]["id"]
    events = await read_events(client, thread["id"], stop=reply_finished(reply_id))
    assert events[-1].event in FINAL_TYPES
    events_route = 'route="/api/v1/threads/{thread_id}/events"'
    finished_stream = f'http_requests_total{{method="GET",{events_route},status="200"}}'
    async with asyncio.timeout(10):
        while True:
            text = (await client.get("/metrics")).text
            tokens = 'model_tokens_total{direction="output",model="echo-1"}'
            if tokens in text and finished_stream in text:
                break
            await asyncio.sleep(0.1)
    assert "sse_open_streams" in text
    assert f'http_request_duration_seconds_count{{method="GET",{events_route}}}' not in text
