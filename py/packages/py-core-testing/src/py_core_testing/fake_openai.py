"""A scriptable OpenAI-compatible server, as a plain ASGI app, for tests of the real HTTP path.

It answers `POST .../chat/completions` from a script: a reply (streamed in chunks with a
final usage chunk, or as one JSON body), a tool call, raw stream deltas, or an error
status, and records every request. Serve it with any ASGI server on a local port (the
tests use uvicorn), or with `serve_fake_openai`.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


@dataclass(kw_only=True)
class Reply:
    """Answer with text, in these chunks when streamed."""

    chunks: list[str]
    """The text, in the pieces the stream sends."""
    prompt_tokens: int = 11
    """Usage reported for the prompt."""
    completion_tokens: int = 7
    """Usage reported for the reply."""
    chunks_per_write: int = 1
    """How many chunks each network write of the stream carries; more are sent together."""


@dataclass(kw_only=True)
class CallTool:
    """Answer with a call to a tool."""

    name: str
    """The tool to call."""
    arguments: str = "{}"
    """Its JSON arguments."""


@dataclass(kw_only=True)
class Fail:
    """Answer with an HTTP error."""

    status: int
    """The status code."""
    body: dict[str, Any]
    """The JSON error body."""
    should_retry: bool | None = False
    """The `x-should-retry` header sent; None sends none, leaving it to the client's rules."""


@dataclass(kw_only=True)
class Stall:
    """Stream these chunks, then hold the response open until the client goes away."""

    chunks: list[str] = field(default_factory=list[str])
    """The text sent before stalling; none to stall before the first token."""


@dataclass(kw_only=True)
class HangUp:
    """Stream these chunks, then drop the connection without finishing the response."""

    chunks: list[str] = field(default_factory=list[str])
    """The text sent before hanging up."""


class _HangingUp(Exception):
    """Raised mid-response so that the ASGI server drops the connection (it logs it)."""


@dataclass(kw_only=True)
class Deltas:
    """Answer with these choice deltas as they are (text, tool-call fragments), then finish."""

    deltas: list[dict[str, Any]]
    """OpenAI `delta` objects, one per streamed chunk; joined into one message when not streamed."""
    finish_reason: str = "stop"
    """The finish reason of the last chunk."""
    prompt_tokens: int = 5
    """Usage reported for the prompt."""
    completion_tokens: int = 4
    """Usage reported for the reply."""
    chunks_per_write: int = 1
    """How many chunks each network write of the stream carries."""


Step = Reply | CallTool | Deltas | Fail | Stall | HangUp


@dataclass(kw_only=True)
class Received:
    """One request the server got."""

    body: dict[str, Any]
    """The JSON body."""
    authorization: str
    """The Authorization header."""
    client_port: int
    """The client's port: the same for requests sent on one kept-alive connection."""


@dataclass(kw_only=True)
class FakeOpenAI:
    """The scriptable server; `base_url` is set once it listens."""

    script: list[Step] = field(default_factory=list[Step])
    """What to answer next, in order; a default reply when empty."""
    received: list[Received] = field(default_factory=list[Received])
    """Every request, in order."""
    base_url: str = ""
    """`http://127.0.0.1:<port>/v1`."""
    disconnects: int = 0
    """Stalled responses whose client hung up."""
    default_reply: Reply = field(default_factory=lambda: Reply(chunks=["Hello", " from", " HTTP."]))
    """The answer when the script is empty."""
    write_interval: float = 0.005
    """Seconds between the writes of a stream, so that a client in the same event loop reads
    each write on its own; 0 writes everything at once, as a fast server does."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        request = json.loads(body)
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        client_port = (scope.get("client") or ("", 0))[1]
        self.received.append(
            Received(
                body=request,
                authorization=headers.get("authorization", ""),
                client_port=client_port,
            )
        )
        step = self.script.pop(0) if self.script else self.default_reply
        if isinstance(step, Fail):
            # x-should-retry: false keeps clients from retrying, so a test sees one failure.
            await _respond(send, step.status, json.dumps(step.body).encode(), step.should_retry)
        elif isinstance(step, Stall):
            await _stream(send, request, _as_deltas(Reply(chunks=step.chunks)), self.write_interval)
            while (await receive())["type"] != "http.disconnect":
                pass
            self.disconnects += 1
        elif isinstance(step, HangUp):
            await _stream(send, request, _as_deltas(Reply(chunks=step.chunks)), self.write_interval)
            raise _HangingUp("the script says to hang up")
        elif request.get("stream"):
            await _stream(send, request, _as_deltas(step), self.write_interval, end=True)
        else:
            await _respond(send, 200, json.dumps(_completion(request, _as_deltas(step))).encode())


async def _respond(send: Send, status: int, body: bytes, retry: bool | None = None) -> None:
    headers = [(b"content-type", b"application/json")]
    if retry is not None:
        headers.append((b"x-should-retry", b"true" if retry else b"false"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(
    send: Send, request: dict[str, Any], step: Deltas, interval: float, *, end: bool = False
) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    choices = [[{"index": 0, "delta": delta, "finish_reason": None}] for delta in step.deltas]
    events = [_event(request, {"choices": choice}) for choice in choices]
    if end:
        finish = [{"index": 0, "delta": {}, "finish_reason": step.finish_reason}]
        events.append(_event(request, {"choices": finish}))
        if request.get("stream_options", {}).get("include_usage"):
            events.append(_event(request, {"choices": [], "usage": _usage(step)}))
    for start in range(0, len(events), step.chunks_per_write):
        body = b"".join(events[start : start + step.chunks_per_write])
        await send({"type": "http.response.body", "body": body, "more_body": True})
        if interval:
            await asyncio.sleep(interval)
    if end:
        await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _event(request: dict[str, Any], data: dict[str, Any]) -> bytes:
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, **data}
    return f"data: {json.dumps({'model': request['model'], **chunk})}\n\n".encode()


def _as_deltas(step: Reply | CallTool | Deltas) -> Deltas:
    """Any answer as the deltas its stream sends."""
    if isinstance(step, Deltas):
        return step
    if isinstance(step, Reply):
        deltas: list[dict[str, Any]] = [{"content": text} for text in step.chunks]
        if deltas:
            deltas[0]["role"] = "assistant"
        return Deltas(
            deltas=deltas,
            prompt_tokens=step.prompt_tokens,
            completion_tokens=step.completion_tokens,
            chunks_per_write=step.chunks_per_write,
        )
    function = {"name": step.name, "arguments": step.arguments}
    call = {"index": 0, "id": "call_1", "type": "function", "function": function}
    delta = {"role": "assistant", "tool_calls": [call]}
    return Deltas(deltas=[delta], finish_reason="tool_calls", prompt_tokens=9, completion_tokens=3)


def _completion(request: dict[str, Any], step: Deltas) -> dict[str, Any]:
    """The non-streamed answer: the deltas joined into one message."""
    content = "".join(d.get("content") or "" for d in step.deltas)
    calls: dict[int, dict[str, Any]] = {}
    for delta in step.deltas:
        for fragment in delta.get("tool_calls", []):
            call = calls.setdefault(
                fragment["index"], {"type": "function", "function": {"name": "", "arguments": ""}}
            )
            call["id"] = fragment.get("id") or call.get("id")
            function = fragment.get("function", {})
            call["function"]["name"] += function.get("name") or ""
            call["function"]["arguments"] += function.get("arguments") or ""
    message: dict[str, Any] = {"role": "assistant", "content": content or None}
    if calls:
        message["tool_calls"] = [calls[index] for index in sorted(calls)]
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": step.finish_reason}],
        "usage": _usage(step),
    }


def _usage(step: Deltas) -> dict[str, int]:
    return {
        "prompt_tokens": step.prompt_tokens,
        "completion_tokens": step.completion_tokens,
        "total_tokens": step.prompt_tokens + step.completion_tokens,
    }


@asynccontextmanager
async def serve_fake_openai(app: FakeOpenAI | None = None) -> AsyncIterator[FakeOpenAI]:
    """Serve a `FakeOpenAI` on a free local port; its `base_url` is set while it runs."""
    import uvicorn  # a test dependency of the workspace, not of py-core itself

    app = app or FakeOpenAI()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()  # raises why the server could not start
            await asyncio.sleep(0.01)
        app.base_url = f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
        yield app
    finally:
        server.should_exit = True
        await task
        sock.close()
