"""What one virtual user of the chat benchmark does over HTTP: sign up, call `/v1`,
take a chat turn while its thread's event stream is open."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

import httpx2 as httpx

from benchmarks._sse import SseParser

PASSWORD = "bench passphrase, long enough"
SESSION_COOKIE = "py_app_session"
SETUP_ATTEMPTS = 10
FINAL_TYPES = frozenset({"message.completed", "message.failed", "message.cancelled"})


@dataclass(kw_only=True)
class Outcome:
    """One measured call."""

    error: str | None = None
    """Why it failed (`POST 500`, `no [DONE]`, `timeout`...); None when it worked."""
    first: float | None = None
    """Seconds from the request to the first content (chunk or `message.delta`)."""
    first_wall: float | None = None
    """`time.time()` when that first content arrived."""
    text: str = ""
    """The content received (chat turns only)."""
    final_text: str = ""
    """The text of `message.completed` (chat turns only)."""


@dataclass(kw_only=True)
class Account:
    """A signed-up user and its credentials."""

    headers: dict[str, str]
    """Cookie and CSRF headers of its browser session."""
    bearer: dict[str, str]
    """The Authorization header of its API token."""
    retries: list[str] = field(default_factory=list[str])
    """Setup answers that had to be retried (status codes)."""


async def _setup_call(
    client: httpx.AsyncClient, retries: list[str], method: str, url: str, **kwargs: object
) -> httpx.Response:
    """A setup request, retried on 429 and 5xx: setup is not what is measured, but its
    retries are reported."""
    for attempt in range(SETUP_ATTEMPTS):
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
        if response.status_code < 500 and response.status_code != 429:
            if response.status_code >= 400:
                raise RuntimeError(f"{method} {url}: {response.status_code} {response.text}")
            return response
        retries.append(str(response.status_code))
        await asyncio.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"{method} {url}: still {response.status_code} after retries")


async def sign_up(client: httpx.AsyncClient, base: str, email: str) -> Account:
    retries: list[str] = []
    body = {"email": email, "password": PASSWORD}
    await _setup_call(
        client, retries, "POST", f"{base}/api/v1/auth/register", json=body | {"display_name": "B"}
    )
    login = await _setup_call(client, retries, "POST", f"{base}/api/v1/auth/login", json=body)
    cookie = _session_cookie(login)
    headers = {"Cookie": f"{SESSION_COOKIE}={cookie}", "X-CSRF-Token": login.json()["csrf_token"]}
    token = await _setup_call(
        client, retries, "POST", f"{base}/api/v1/tokens", json={"name": "bench"}, headers=headers
    )
    return Account(
        headers=headers,
        bearer={"Authorization": f"Bearer {token.json()['token']}"},
        retries=retries,
    )


def _session_cookie(response: httpx.Response) -> str:
    # Read from the header: the shared client keeps no cookies (see `_chat_load.run`).
    for line in response.headers.get_list("set-cookie"):
        name, _, rest = line.partition("=")
        if name.strip() == SESSION_COOKIE:
            return rest.split(";", 1)[0]
    raise RuntimeError("login set no session cookie")


async def new_thread(client: httpx.AsyncClient, base: str, account: Account, model: str) -> str:
    response = await _setup_call(
        client,
        account.retries,
        "POST",
        f"{base}/api/v1/threads",
        json={"title": "bench", "model": model},
        headers=account.headers,
    )
    thread_id: str = response.json()["id"]
    return thread_id


async def v1_completion(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], model: str, marker: str
) -> Outcome:
    """One streamed `/v1/chat/completions`; time to its first content chunk."""
    body = {"model": model, "stream": True, "messages": [{"role": "user", "content": marker}]}
    start = time.perf_counter()
    outcome = Outcome()
    try:
        async with client.stream("POST", url, json=body, headers=headers) as response:
            if response.status_code != 200:
                await response.aread()
                return Outcome(error=f"HTTP {response.status_code}")
            parser: SseParser | None = SseParser()
            tail = b""
            async for raw in response.aiter_raw():
                if parser is not None:
                    for event in parser.feed(raw):
                        if event.data != b"[DONE]" and _has_content(event.data):
                            outcome.first = time.perf_counter() - start
                            outcome.first_wall = time.time()
                            parser = None  # after the first content, only [DONE] matters
                            break
                tail = (tail + raw)[-64:]
    except httpx.HTTPError as exc:
        return Outcome(error=type(exc).__name__)
    if b"data: [DONE]" not in tail:
        return Outcome(error="no [DONE]")
    if outcome.first is None:
        return Outcome(error="no content")
    return outcome


def _has_content(data: bytes) -> bool:
    chunk = json.loads(data)
    return any(choice.get("delta", {}).get("content") for choice in chunk.get("choices") or [])


@dataclass(frozen=True, kw_only=True)
class Arrival:
    """One `message.*` event as the load client received it."""

    type: str
    """The event type, or `stream.ended`."""
    message_id: str
    """The message it is about."""
    text: str
    """Its `text` field."""
    at: float
    """`time.perf_counter()` when it arrived."""
    wall: float
    """`time.time()` when it arrived."""


class ThreadStream:
    """A thread's `GET /events` held open, as a browser tab holds it, its `message.*`
    events queued for the turns to read."""

    def __init__(self, client: httpx.AsyncClient, base: str, thread_id: str, account: Account):
        self.thread_id = thread_id
        self.queue: asyncio.Queue[Arrival] = asyncio.Queue()
        self.connected = asyncio.Event()
        self.error: str | None = None
        url = f"{base}/api/v1/threads/{thread_id}/events"
        self._task = asyncio.create_task(self._read(client, url, account.headers))

    async def _read(self, client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> None:
        parser = SseParser()
        try:
            async with client.stream(
                "GET", url, headers=headers, timeout=httpx.Timeout(10.0, read=None)
            ) as response:
                if response.status_code != 200:
                    self.error = f"events HTTP {response.status_code}"
                    return
                self.connected.set()
                async for raw in response.aiter_raw():
                    at, wall = time.perf_counter(), time.time()
                    for event in parser.feed(raw):
                        if event.event.startswith("message."):
                            data = json.loads(event.data)
                            self.queue.put_nowait(
                                Arrival(
                                    type=event.event,
                                    message_id=data["message_id"],
                                    text=data.get("text", ""),
                                    at=at,
                                    wall=wall,
                                )
                            )
            self.error = "events stream ended"
        except httpx.HTTPError as exc:
            self.error = f"events {type(exc).__name__}"
        finally:
            self.connected.set()
            self.queue.put_nowait(
                Arrival(type="stream.ended", message_id="", text="", at=0, wall=0)
            )

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


async def chat_turn(
    client: httpx.AsyncClient,
    base: str,
    account: Account,
    stream: ThreadStream,
    content: str,
    patience: float,
) -> Outcome:
    """Post a message, then read the open stream until its reply ends; time to the
    first `message.delta` from the POST."""
    start = time.perf_counter()
    url = f"{base}/api/v1/threads/{stream.thread_id}/messages"
    try:
        response = await client.post(url, json={"content": content}, headers=account.headers)
    except httpx.HTTPError as exc:
        return Outcome(error=f"POST {type(exc).__name__}")
    if response.status_code != 202:
        return Outcome(error=f"POST {response.status_code}")
    reply_id = response.json()["assistant_message"]["id"]
    outcome = Outcome()
    try:
        async with asyncio.timeout(patience):
            while True:
                arrival = await stream.queue.get()
                if arrival.type == "stream.ended":
                    return Outcome(error=stream.error or "events stream ended")
                if arrival.message_id != reply_id:
                    continue
                if arrival.type == "message.delta":
                    if outcome.first is None:
                        outcome.first = arrival.at - start
                        outcome.first_wall = arrival.wall
                    outcome.text += arrival.text
                elif arrival.type in FINAL_TYPES:
                    if arrival.type != "message.completed":
                        return Outcome(error=arrival.type)
                    outcome.final_text = arrival.text
                    break
    except TimeoutError:
        return Outcome(error="timeout")
    if outcome.first is None:
        return Outcome(error="no message.delta")
    return outcome
