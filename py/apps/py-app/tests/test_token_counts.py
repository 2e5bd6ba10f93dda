"""`model_tokens_total` counts each finished reply once, from the outbox relay's hook.

On PostgreSQL several instances relay the same outbox, each row once (SKIP LOCKED), so
the counters of all instances add up to each reply's usage once.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from py_app.settings import Settings
from py_core.ai_ml import ModelCatalog

from .harness import LiveApp, new_thread, post, read_events, reply_finished, serve_settings, sign_up

SERIES = ("input", "output")


async def counted(client: httpx.AsyncClient) -> dict[str, float]:
    """The app's `model_tokens_total` of the echo model, by direction (0 when absent)."""
    text = (await client.get("/metrics")).text
    found: dict[str, float] = {}
    for direction in SERIES:
        name = f'model_tokens_total{{direction="{direction}",model="echo-1"}}'
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        found[direction] = float(match[1]) if match else 0.0
    return found


async def finished_reply(client: httpx.AsyncClient, thread_id: str, prompt: str) -> dict[str, Any]:
    """Post `prompt` and read the thread's events until the reply's `message.completed`;
    its usage."""
    turn = await post(client, thread_id, prompt)
    reply_id = turn["assistant_message"]["id"]
    events = await read_events(client, thread_id, stop=reply_finished(reply_id))
    assert events[-1].event == "message.completed", events[-1]
    usage: dict[str, Any] = events[-1].data["usage"]
    assert usage["output_tokens"] > 0
    return usage


async def wait_for_counts(
    clients: list[httpx.AsyncClient], expected: dict[str, float]
) -> dict[str, float]:
    """Poll the instances until their counters add up to at least `expected`; the sums."""
    async with asyncio.timeout(10):
        while True:
            sums = dict.fromkeys(SERIES, 0.0)
            for client in clients:
                for direction, value in (await counted(client)).items():
                    sums[direction] += value
            if all(sums[d] >= expected[d] for d in SERIES):
                return sums
            await asyncio.sleep(0.05)


def tokens(*usages: dict[str, Any]) -> dict[str, float]:
    return {d: float(sum(u[f"{d}_tokens"] for u in usages)) for d in SERIES}


async def test_a_finished_reply_is_counted_once(
    client: httpx.AsyncClient, live_app: LiveApp
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    first = await finished_reply(client, thread["id"], "count me words=3")
    assert await wait_for_counts([client], tokens(first)) == tokens(first)
    second = await finished_reply(client, thread["id"], "and me words=5")
    # A second pass of the relay over the same rows would count the first reply again.
    await live_app.app.state.runtime.relay.relay_pending()
    assert await wait_for_counts([client], tokens(first, second)) == tokens(first, second)


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_two_instances_count_a_reply_once_between_them(
    client: httpx.AsyncClient, live_app: LiveApp, app_settings: Settings, catalog: ModelCatalog
) -> None:
    async with serve_settings(app_settings, catalog=catalog) as other, other.client() as watcher:
        await sign_up(client, "ada@example.com")
        thread = await new_thread(client)
        usage = await finished_reply(client, thread["id"], "count me words=4")
        sums = await wait_for_counts([client, watcher], tokens(usage))
        # Both relays look again: neither may count a row the other already relayed.
        for app in (live_app, other):
            await app.app.state.runtime.relay.relay_pending()
        assert sums == tokens(usage)
        assert await wait_for_counts([client, watcher], tokens(usage)) == tokens(usage)
