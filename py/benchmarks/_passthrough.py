"""The chat benchmark's baseline: a plain pass-through in front of the model server.

`python -m benchmarks._passthrough http|pipe <upstream base url>` prints `port <n>` once
it has bound its socket.

`http`: every request is forwarded to the upstream with one shared `httpx2.AsyncClient`
(the httpx the app's models use), and the answer's bytes stream back as they arrive. It
runs on the app's own server stack (uvicorn, httptools, uvloop), so the app's figures
divided by its figures are the cost of what the app does beyond relaying a stream.

`pipe`: each connection is joined to one of its own to the upstream and bytes are copied
both ways, no HTTP at all: what this machine allows a relay at best.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import urlsplit

import httpx2 as httpx
import uvicorn
import uvloop

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

_FORWARDED = {"content-type", "authorization"}


def passthrough(
    upstream: str,
) -> Callable[[Scope, Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]], Any]:
    client = httpx.AsyncClient(
        timeout=httpx.Timeout(60.0),
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=1000),
    )

    async def app(
        scope: Scope,
        receive: Callable[[], Awaitable[Message]],
        send: Callable[[Message], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"] if k.decode() in _FORWARDED}
        path = scope["path"].removeprefix("/v1")
        request = client.build_request(
            scope["method"], upstream + path, content=body, headers=headers
        )
        response = await client.send(request, stream=True)
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": [
                        (b"content-type", response.headers.get("content-type", "").encode())
                    ],
                }
            )
            async for chunk in response.aiter_raw():
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            await response.aclose()

    return app


def serve_http(upstream: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    print(f"port {sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(
        passthrough(upstream),
        log_level="warning",
        access_log=False,
        lifespan="off",
        loop="uvloop",
        http="httptools",
        backlog=1024,
    )
    uvicorn.Server(config).run(sockets=[sock])


async def serve_pipe(upstream: str) -> None:
    port = urlsplit(upstream).port

    async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
        try:
            while data := await source.read(65536):
                target.write(data)
                await target.drain()
        finally:
            target.close()

    async def join(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", port)
        await asyncio.gather(
            copy(reader, up_writer), copy(up_reader, writer), return_exceptions=True
        )

    server = await asyncio.start_server(join, "127.0.0.1", 0, backlog=1024)
    print(f"port {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


def main() -> None:
    if len(sys.argv) != 3 or sys.argv[1] not in ("http", "pipe"):
        sys.exit("usage: python -m benchmarks._passthrough http|pipe <upstream base url>")
    upstream = sys.argv[2].rstrip("/")
    if sys.argv[1] == "http":
        serve_http(upstream)
    else:
        uvloop.run(serve_pipe(upstream))


if __name__ == "__main__":
    main()
