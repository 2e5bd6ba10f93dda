"""A lean OpenAI-compatible server for the chat benchmark, in its own process.

`python -m benchmarks._model_server instant|paced` prints `port <n>` once it listens.
`POST .../chat/completions` streams a 64-word reply, one word per SSE chunk, then a
finish chunk, a usage chunk and `[DONE]`; `instant` writes as fast as it can, `paced`
at 50 words per second. Non-streamed calls get the whole reply as one JSON body.

It is a bare asyncio protocol on uvloop (HTTP/1.1, keep-alive, chunked responses) so that
it is never the bottleneck of what it measures. For each request whose last user
message is a marker (any string), it keeps the wall time (`time.time()`) at which it
wrote the first word: `GET /marks` answers them as JSON and forgets them.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any, Literal, cast

import uvloop

Mode = Literal["instant", "paced"]

WORDS = 64
PACED_GAP = 1 / 50
REPLY_WORDS = [f"w{i} " if i < WORDS - 1 else f"w{i}." for i in range(WORDS)]
"""The reply, in the chunks it is sent in: `w0 w1 ... w63.`."""
REPLY_TEXT = "".join(REPLY_WORDS)

_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
    b"cache-control: no-store\r\ntransfer-encoding: chunked\r\n\r\n"
)


def _chunk(payload: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(payload), payload)


def _event(model: str, delta: dict[str, Any], finish: str | None = None) -> bytes:
    body = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return _chunk(b"data: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n")


def _frames(model: str) -> tuple[list[bytes], bytes]:
    """The word chunks, and everything after the last word in one write."""
    words = [_event(model, {"content": w}) for w in REPLY_WORDS]
    words[0] = _event(model, {"role": "assistant", "content": REPLY_WORDS[0]})
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": model,
        "choices": [],
        "usage": {"prompt_tokens": 10, "completion_tokens": WORDS, "total_tokens": 10 + WORDS},
    }
    tail = (
        _event(model, {}, "stop")
        + _chunk(b"data: " + json.dumps(usage, separators=(",", ":")).encode() + b"\n\n")
        + _chunk(b"data: [DONE]\n\n")
        + b"0\r\n\r\n"
    )
    return words, tail


class _Server:
    def __init__(self, mode: Mode) -> None:
        self.mode = mode
        self.marks: dict[str, float] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._frames: dict[str, tuple[list[bytes], bytes]] = {}

    def frames(self, model: str) -> tuple[list[bytes], bytes]:
        if model not in self._frames:
            self._frames[model] = _frames(model)
        return self._frames[model]


class _Connection(asyncio.Protocol):
    def __init__(self, server: _Server) -> None:
        self._server = server
        self._buffer = b""
        self._transport: asyncio.Transport | None = None
        self._busy = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if not self._busy:
            self._next()

    def _next(self) -> None:
        head_end = self._buffer.find(b"\r\n\r\n")
        if head_end < 0:
            return
        lines = self._buffer[:head_end].decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        rest = self._buffer[head_end + 4 :]
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parsed = _dechunk(rest)
            if parsed is None:
                return  # more to come
            body, rest = parsed
        else:
            length = int(headers.get("content-length", "0"))
            if len(rest) < length:
                return
            body, rest = rest[:length], rest[length:]
        self._buffer = rest
        self._busy = True
        task = asyncio.get_running_loop().create_task(self._answer(method, path, body))
        self._server.tasks.add(task)
        task.add_done_callback(self._server.tasks.discard)

    async def _answer(self, method: str, path: str, body: bytes) -> None:
        try:
            if method == "POST" and path.endswith("/chat/completions"):
                await self._complete(json.loads(body))
            elif method == "GET" and path == "/marks":
                marks, self._server.marks = self._server.marks, {}
                self._json(200, marks)
            else:
                self._json(404, {"error": {"message": "not found"}})
        except ValueError:
            self._json(400, {"error": {"message": "the body is not JSON"}})
        finally:
            self._busy = False
        if self._transport is not None and self._buffer:
            self._next()

    def _json(self, status: int, value: object) -> None:
        payload = json.dumps(value).encode()
        if self._transport is not None:
            self._transport.write(
                b"HTTP/1.1 %d X\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s"
                % (status, len(payload), payload)
            )

    async def _complete(self, request: dict[str, Any]) -> None:
        model = str(request.get("model", "bench"))
        if not request.get("stream"):
            self._json(200, _completion(model))
            return
        words, tail = self._server.frames(model)
        marker = _last_user_text(request)
        transport = self._transport
        if transport is None:
            return
        transport.write(_HEAD)
        start = time.monotonic()
        for index, frame in enumerate(words):
            if self._transport is None:
                return  # the client went away
            if index == 0 and marker:
                self._server.marks[marker] = time.time()
            transport.write(frame)
            if self._server.mode == "paced":
                await asyncio.sleep(max(0.0, start + (index + 1) * PACED_GAP - time.monotonic()))
            else:
                # Its own write per word, as a fast provider flushes each token.
                await asyncio.sleep(0)
        if self._transport is not None:
            transport.write(tail)


def _dechunk(data: bytes) -> tuple[bytes, bytes] | None:
    """A chunked body and what follows it, or None while it is incomplete."""
    body, position = b"", 0
    while True:
        line_end = data.find(b"\r\n", position)
        if line_end < 0:
            return None
        size = int(data[position:line_end].split(b";", 1)[0], 16)
        start = line_end + 2
        if size == 0:
            trailer_end = data.find(b"\r\n\r\n", line_end)
            if trailer_end < 0:
                return None
            return body, data[trailer_end + 4 :]
        if len(data) < start + size + 2:
            return None
        body += data[start : start + size]
        position = start + size + 2


def _last_user_text(request: dict[str, Any]) -> str:
    for message in reversed(request.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            return content if isinstance(content, str) else ""
    return ""


def _completion(model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": REPLY_TEXT},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": WORDS, "total_tokens": 10 + WORDS},
    }


async def serve(mode: Mode) -> None:
    server = _Server(mode)
    loop = asyncio.get_running_loop()
    listener = await loop.create_server(lambda: _Connection(server), "127.0.0.1", 0, backlog=1024)
    port = listener.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    async with listener:
        await listener.serve_forever()


def main() -> None:
    mode = sys.argv[1] if len(sys.argv) > 1 else "instant"
    if mode not in ("instant", "paced"):
        sys.exit("usage: python -m benchmarks._model_server instant|paced")
    uvloop.run(serve("paced" if mode == "paced" else "instant"))


if __name__ == "__main__":
    main()
