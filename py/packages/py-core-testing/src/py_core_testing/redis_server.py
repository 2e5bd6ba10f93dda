"""A Redis server of a test's own, which the test stops and starts (an outage, a restart
that loses every key) without touching the Redis other tests share.

```python
async with RedisServer.running() as redis:   # redis-server on a free port
    bus = RedisEventBus(redis.url)
    await redis.stop()                       # down: connections refused
    await redis.start()                      # up again, empty
```
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from redis.asyncio import Redis
from redis.exceptions import RedisError

START_TIMEOUT = 10.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class RedisServer:
    """`redis-server` on 127.0.0.1, without persistence: a restart starts empty."""

    def __init__(self, directory: Path) -> None:
        self.port = _free_port()
        self._directory = directory
        self._process: asyncio.subprocess.Process | None = None

    @classmethod
    @contextlib.asynccontextmanager
    async def running(cls) -> AsyncIterator[RedisServer]:
        """A started server, stopped at the end; `RuntimeError` without `redis-server`."""
        with tempfile.TemporaryDirectory(prefix="test-redis-") as directory:
            server = cls(Path(directory))
            await server.start()
            try:
                yield server
            finally:
                await server.stop()

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    async def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed")
        self._process = await asyncio.create_subprocess_exec(
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self._directory),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        client = Redis.from_url(self.url, socket_connect_timeout=1)
        try:
            async with asyncio.timeout(START_TIMEOUT):
                while True:
                    with contextlib.suppress(OSError, RedisError):
                        if await client.ping():
                            return
                    await asyncio.sleep(0.02)
        finally:
            await client.aclose()

    async def stop(self) -> None:
        """Stop at once (SIGKILL: nothing saved, every connection dropped)."""
        if self._process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            self._process.kill()
        await self._process.wait()
        self._process = None
