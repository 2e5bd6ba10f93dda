"""Running the real app for tests: uvicorn on a free port, in the test's event loop.

Real HTTP (not an in-memory transport), so cookies, streaming responses and
disconnects behave as they do for a browser.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI
from redis.asyncio import Redis

from py_app.app import create_app
from py_app.settings import Settings

PASSWORD = "a long enough passphrase"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(kw_only=True)
class LiveApp:
    app: FastAPI
    """The app being served."""
    base_url: str
    """Where it listens, e.g. `http://127.0.0.1:54321`."""

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.base_url, timeout=20, **kwargs)


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[LiveApp]:
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        for _ in range(500):
            if server.started or task.done():
                break
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
        assert server.started, "the app did not start"
        yield LiveApp(app=app, base_url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=30)


@asynccontextmanager
async def serve_settings(settings: Settings, **kwargs: Any) -> AsyncIterator[LiveApp]:
    async with serve(create_app(settings, **kwargs)) as live:
        yield live


@dataclass(kw_only=True)
class Account:
    id: str
    """The user's id."""
    email: str
    """Their sign-in address."""
    csrf_token: str
    """Their session's CSRF token (the client sends it by default)."""


async def sign_up(client: httpx.AsyncClient, email: str, name: str = "Tester") -> Account:
    """Register and sign in; afterwards `client` sends the cookie and the CSRF header."""
    response = await client.post(
        "/api/v1/auth/register", json={"email": email, "password": PASSWORD, "display_name": name}
    )
    assert response.status_code == 201, response.text
    response = await client.post("/api/v1/auth/login", json={"email": email, "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    client.headers["X-CSRF-Token"] = body["csrf_token"]
    return Account(id=body["user"]["id"], email=email, csrf_token=body["csrf_token"])


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    if code is not None:
        assert body["error"]["code"] == code, body


@dataclass(kw_only=True)
class SseEvent:
    id: str | None
    """The `id:` line."""
    event: str
    """The `event:` line (`message` when absent)."""
    data: dict[str, Any]
    """The `data:` JSON."""


FINAL_TYPES = frozenset({"message.completed", "message.failed", "message.cancelled"})


async def read_events(
    client: httpx.AsyncClient,
    thread_id: str,
    *,
    last_event_id: str | None = None,
    via: str = "header",
    stop: Callable[[SseEvent], bool] | None = None,
    limit: int | None = None,
    within: float = 20,
    comments: list[str] | None = None,
) -> list[SseEvent]:
    """Read the thread's event stream until `stop(event)` is true or `limit` events came,
    then disconnect. Comment lines (heartbeats) go to `comments` when given."""
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    if last_event_id is not None:
        if via == "header":
            headers["Last-Event-ID"] = last_event_id
        else:
            params["last_event_id"] = last_event_id
    events: list[SseEvent] = []
    async with asyncio.timeout(within):
        async with client.stream(
            "GET", f"/api/v1/threads/{thread_id}/events", headers=headers, params=params
        ) as response:
            assert response.status_code == 200, await response.aread()
            assert response.headers["content-type"].startswith("text/event-stream")
            fields: dict[str, str] = {}
            async for line in response.aiter_lines():
                if line.startswith(":"):
                    if comments is not None:
                        comments.append(line)
                    if stop is None and limit is None and comments:
                        return events
                    continue
                if line:
                    name, _, value = line.partition(":")
                    fields[name] = value[1:] if value.startswith(" ") else value
                    continue
                if "data" not in fields:
                    fields = {}
                    continue
                event = SseEvent(
                    id=fields.get("id"),
                    event=fields.get("event", "message"),
                    data=json.loads(fields["data"]),
                )
                fields = {}
                events.append(event)
                if (stop is not None and stop(event)) or (
                    limit is not None and len(events) >= limit
                ):
                    return events
    return events


def reply_finished(message_id: str) -> Callable[[SseEvent], bool]:
    return lambda e: e.event in FINAL_TYPES and e.data.get("message_id") == message_id


async def wait_for_reply(
    client: httpx.AsyncClient, thread_id: str, message_id: str, within: float = 20
) -> dict[str, Any]:
    """Poll the messages until the reply is final; returns it."""
    async with asyncio.timeout(within):
        while True:
            response = await client.get(f"/api/v1/threads/{thread_id}/messages")
            assert response.status_code == 200, response.text
            for message in response.json()["items"]:
                if message["id"] == message_id and message["status"] not in (
                    "pending",
                    "streaming",
                ):
                    return dict(message)
            await asyncio.sleep(0.05)


async def new_thread(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/threads", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def post(client: httpx.AsyncClient, thread_id: str, content: str) -> dict[str, Any]:
    response = await client.post(f"/api/v1/threads/{thread_id}/messages", json={"content": content})
    assert response.status_code == 202, response.text
    return dict(response.json())


async def forget_redis_keys(url: str, *prefixes: str) -> None:
    """Drop the keys a test app made, so test runs leave Redis as they found it."""
    client = Redis.from_url(url)
    try:
        for prefix in prefixes:
            keys = [key async for key in client.scan_iter(match=f"{prefix}*", count=1000)]
            if keys:
                await client.delete(*keys)
    finally:
        await client.aclose()
