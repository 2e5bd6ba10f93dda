"""The chat benchmark's child processes: start one, know where it listens, stop it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2 as httpx

ROOT = Path(__file__).resolve().parents[1]
"""`py/`, where `python -m benchmarks...` finds its modules."""
START_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


@dataclass(kw_only=True)
class Child:
    """A running child process."""

    process: asyncio.subprocess.Process
    """The process."""
    port: int
    """Its port on 127.0.0.1."""
    log: Path | None = None
    """Where its output goes, when not to ours."""

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def start_announcing(module: str, *args: str) -> Child:
    """A `benchmarks` module that prints `port <n>` when it has bound its socket."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    line = await asyncio.wait_for(process.stdout.readline(), START_TIMEOUT)
    if not line.startswith(b"port "):
        await stop(Child(process=process, port=0))
        raise RuntimeError(f"{module} did not start: {line!r}")
    child = Child(process=process, port=int(line.split()[1]))
    await _wait_listening(child.port)
    return child


async def start_app(env: dict[str, str], directory: Path) -> Child:
    """`python -m py_app` on a free port, its output in `directory/app.log`, once `/readyz`
    answers 200. Its working directory is `directory`, so no `.env` file is read."""
    port = free_port()
    log = directory / "app.log"
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "py_app",
            cwd=directory,
            env=env | {"HOST": "127.0.0.1", "PORT": str(port)},
            stdout=output,
            stderr=output,
        )
    child = Child(process=process, port=port, log=log)
    deadline = time.monotonic() + START_TIMEOUT
    async with httpx.AsyncClient() as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the app exited ({process.returncode}):\n{tail(log)}")
            try:
                if (await client.get(f"{child.origin}/readyz")).status_code == 200:
                    return child
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    await stop(child)
    raise RuntimeError(f"the app did not become ready:\n{tail(log)}")


async def stop(child: Child) -> None:
    if child.process.returncode is not None:
        return
    child.process.terminate()
    try:
        await asyncio.wait_for(child.process.wait(), STOP_TIMEOUT)
    except TimeoutError:
        child.process.kill()
        await child.process.wait()


async def run_json(module: str, request: dict[str, Any]) -> dict[str, Any]:
    """Run a `benchmarks` module that reads JSON on stdin and writes JSON on stdout;
    its stderr is ours, so a traceback shows."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        module,
        cwd=ROOT,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
    )
    out, _ = await process.communicate(json.dumps(request).encode())
    if process.returncode != 0:
        raise RuntimeError(f"{module} failed (exit {process.returncode})")
    result: dict[str, Any] = json.loads(out)
    return result


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


async def _wait_listening(port: int) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return


def inherited_env(drop: set[str]) -> dict[str, str]:
    """Our environment without the variables the benchmark sets itself."""
    return {k: v for k, v in os.environ.items() if k not in drop}
