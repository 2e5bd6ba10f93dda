"""Running the real app for tests: uvicorn on a free port, in the test's event loop.

Real HTTP (not an in-memory transport), so cookies, streaming responses and
disconnects behave as they do for a browser.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI

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
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
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
