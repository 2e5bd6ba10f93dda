"""Helpers for tests of code that publishes or consumes events.

`take` reads a subscription with a guard against hanging; `TcpProxy` stands between a
client and Redis so a test can cut the connection (an outage) and restore it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from redis.asyncio import Redis

from py_core.events._base import StreamEntry
from py_core.events._interface import EventBus

__all__ = ["MakeBus", "TcpProxy", "delete_namespace", "take"]

MakeBus = Callable[..., EventBus]
"""A fixture's factory of buses: `make_bus(url=None, **settings_overrides)`."""


async def take(
    subscription: AsyncIterator[StreamEntry], count: int, *, guard: float = 10.0
) -> list[StreamEntry]:
    """The next `count` entries; fails after `guard` seconds so a bug cannot hang a test."""
    entries: list[StreamEntry] = []
    async with asyncio.timeout(guard):
        while len(entries) < count:
            entries.append(await anext(subscription))
    return entries


async def delete_namespace(client: Redis, namespace: str) -> None:
    """Delete every key of a bus namespace (a test's own, never a shared one)."""
    keys = [key async for key in client.scan_iter(match=f"{namespace}:*", count=500)]
    if keys:
        await client.delete(*keys)


class TcpProxy:
    """Forwards 127.0.0.1:`port` to a server; `cut` drops every connection and refuses
    new ones (the server looks down), `restore` accepts again on the same port."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self._target = (target_host, target_port)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.port = 0

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def restore(self) -> None:
        self._server = await asyncio.start_server(
            self._accept, "127.0.0.1", self.port, reuse_address=True
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._writers.clear()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self._target)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        for source, sink in ((reader, up_writer), (up_reader, writer)):
            task = asyncio.create_task(_pipe(source, sink))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)


async def _pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await source.read(65536):
            sink.write(data)
            await sink.drain()
    sink.close()
