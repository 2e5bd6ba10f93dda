"""A scriptable OpenAI-compatible server, as a plain ASGI app, for tests of the real HTTP path.

It answers `POST .../chat/completions` from a script: a reply (streamed in chunks with a
final usage chunk, or as one JSON body), a tool call, or an error status, and records
every request. Serve it with any ASGI server on a local port (the tests use uvicorn).
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


@dataclass(kw_only=True)
class Stall:
    """Stream these chunks, then hold the response open until the client goes away."""

    chunks: list[str] = field(default_factory=list[str])
    """The text sent before stalling; none to stall before the first token."""


Step = Reply | CallTool | Fail | Stall


@dataclass(kw_only=True)
class Received:
    """One request the server got."""

    body: dict[str, Any]
    """The JSON body."""
    authorization: str
    """The Authorization header."""


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
        self.received.append(Received(body=request, authorization=headers.get("authorization", "")))
        step = self.script.pop(0) if self.script else Reply(chunks=["Hello", " from", " HTTP."])
        if isinstance(step, Fail):
            # x-should-retry keeps the OpenAI SDK from retrying, so a test sees one failure.
            await _respond(send, step.status, json.dumps(step.body).encode(), retry=False)
        elif isinstance(step, Stall):
            await _stream(send, request, Reply(chunks=step.chunks), end=False)
            while (await receive())["type"] != "http.disconnect":
                pass
            self.disconnects += 1
        elif request.get("stream"):
            await _stream(send, request, step)
        else:
            await _respond(send, 200, json.dumps(_completion(request, step)).encode())


async def _respond(send: Send, status: int, body: bytes, *, retry: bool = True) -> None:
    headers = [(b"content-type", b"application/json")]
    if not retry:
        headers.append((b"x-should-retry", b"false"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _stream(
    send: Send, request: dict[str, Any], step: Reply | CallTool, *, end: bool = True
) -> None:
    headers = [(b"content-type", b"text/event-stream")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})

    async def event(data: dict[str, Any]) -> None:
        chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, **data}
        body = f"data: {json.dumps({'model': request['model'], **chunk})}\n\n".encode()
        await send({"type": "http.response.body", "body": body, "more_body": True})

    if isinstance(step, Reply):
        for index, text in enumerate(step.chunks):
            delta: dict[str, Any] = {"content": text}
            if index == 0:
                delta["role"] = "assistant"
            await event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        finish = "stop"
    else:
        function = {"name": step.name, "arguments": step.arguments}
        call = {"index": 0, "id": "call_1", "type": "function", "function": function}
        delta = {"role": "assistant", "tool_calls": [call]}
        await event({"choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
        finish = "tool_calls"
    if not end:
        return
    await event({"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
    if request.get("stream_options", {}).get("include_usage"):
        await event({"choices": [], "usage": _usage(step)})
    await send({"type": "http.response.body", "body": b"data: [DONE]\n\n", "more_body": False})


def _completion(request: dict[str, Any], step: Reply | CallTool) -> dict[str, Any]:
    if isinstance(step, Reply):
        message: dict[str, Any] = {"role": "assistant", "content": "".join(step.chunks)}
        finish = "stop"
    else:
        function = {"name": step.name, "arguments": step.arguments}
        message = {"role": "assistant", "content": None}
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": function}]
        finish = "tool_calls"
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": request["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": _usage(step),
    }


def _usage(step: Reply | CallTool) -> dict[str, int]:
    prompt, completion = (
        (step.prompt_tokens, step.completion_tokens) if isinstance(step, Reply) else (9, 3)
    )
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
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
