"""App processes sharing PostgreSQL and Redis: no sticky sessions needed.

A turn posted on one process streams, whole, from the other; a stop sent to the
other process reaches the generation running on the first. `WORKERS=2` serves one port
from two processes the same way.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from py_core.database.utils import uuid7
from py_core_testing import services
from py_core_testing.databases import TestDatabases

from .harness import (
    forget_redis_keys,
    free_port,
    new_thread,
    post,
    read_events,
    reply_finished,
    sign_up,
    wait_for_reply,
)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

WORKSPACE = Path(__file__).resolve().parents[3]


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace")


async def _start(env: dict[str, str], port: int, log: Path) -> asyncio.subprocess.Process:
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "py_app",
            cwd=WORKSPACE,
            env={**env, "PORT": str(port)},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    async with httpx.AsyncClient() as client:
        # Up to two minutes: a start imports the whole stack, which a loaded 2-core
        # machine has taken more than 30 s to do.
        for _ in range(1200):
            if process.returncode is not None:
                raise AssertionError(f"the app exited: {_log_text(log)}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                    return process
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError(f"the app did not start: {_log_text(log)}")


@pytest.fixture
async def shared_env(test_databases: TestDatabases) -> AsyncIterator[dict[str, str]]:
    """The environment of app processes sharing a fresh PostgreSQL database and Redis
    (under a namespace of their own, removed after), on the demo model."""
    database_url = await test_databases.fresh("postgresql")
    services.require("Redis", await services.redis_error())
    unique = uuid7().hex
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": services.REDIS_URL,
        "EVENTS_NAMESPACE": f"events-test-{unique}",
        "REDIS_KEY_PREFIX": f"py-app-test:{unique}:",
        "PY_APP_DEMO_DELAY": "0.02",
        "SHUTDOWN_GRACE_SECONDS": "1",
    }
    env.pop("PY_APP_MODELS", None)
    env.pop("PY_APP_MODELS_FILE", None)
    yield env
    await forget_redis_keys(services.REDIS_URL, env["EVENTS_NAMESPACE"], env["REDIS_KEY_PREFIX"])


async def _stop(processes: list[asyncio.subprocess.Process]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            await asyncio.wait_for(process.wait(), 20)
        except TimeoutError:
            process.kill()
            await process.wait()


@pytest.fixture
async def two_apps(shared_env: dict[str, str], tmp_path: Path) -> AsyncIterator[tuple[str, str]]:
    ports = free_port(), free_port()
    processes = []
    try:
        for index, port in enumerate(ports):
            processes.append(await _start(shared_env, port, tmp_path / f"app{index}.log"))
        yield f"http://127.0.0.1:{ports[0]}", f"http://127.0.0.1:{ports[1]}"
    finally:
        await _stop(processes)


def _workers(pid: int) -> list[int]:
    """The worker processes `pid` started (multiprocessing's `spawn_main`), from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            command = (stat.parent / "cmdline").read_text(errors="replace")
        except OSError:
            continue
        if parent == pid and "spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


async def test_workers_serve_one_port_together(shared_env: dict[str, str], tmp_path: Path) -> None:
    port = free_port()
    process = await _start({**shared_env, "WORKERS": "2"}, port, tmp_path / "app.log")
    try:
        workers = _workers(process.pid)
        assert len(workers) == 2, _log_text(tmp_path / "app.log")
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=20) as client:
            await sign_up(client, "ada@example.com")
            threads = [await new_thread(client) for _ in range(4)]
            turns = [await post(client, t["id"], f"Question {i}") for i, t in enumerate(threads)]
            for thread, turn in zip(threads, turns, strict=True):
                reply_id = turn["assistant_message"]["id"]
                events = await read_events(client, thread["id"], stop=reply_finished(reply_id))
                stored = await wait_for_reply(client, thread["id"], reply_id)
                assert stored["status"] == "complete"
                assert events[-1].data["text"] == stored["text"]
    finally:
        await _stop([process])


async def test_workers_need_postgres_and_redis(tmp_path: Path) -> None:
    env = {**os.environ, "WORKERS": "2", "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/x.db"}
    env.pop("REDIS_URL", None)
    result = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "py_app", cwd=WORKSPACE, env=env, stderr=subprocess.PIPE
    )
    _, stderr = await result.communicate()
    assert result.returncode == 1
    assert b"WORKERS > 1 needs PostgreSQL" in stderr


async def test_post_on_one_stream_and_cancel_from_the_other(two_apps: tuple[str, str]) -> None:
    first_url, second_url = two_apps
    async with (
        httpx.AsyncClient(base_url=first_url, timeout=20) as first,
        httpx.AsyncClient(base_url=second_url, timeout=20) as second,
    ):
        account = await sign_up(first, "ada@example.com")
        # The same browser session, sent to the other instance.
        second.cookies.update(first.cookies)
        second.headers["X-CSRF-Token"] = account.csrf_token
        thread = await new_thread(first)

        turn = await post(first, thread["id"], "Hello from process one")
        reply_id = turn["assistant_message"]["id"]
        events = await read_events(second, thread["id"], stop=reply_finished(reply_id))
        deltas = [e for e in events if e.event == "message.delta"]
        assert [e.data["seq"] for e in deltas] == list(range(len(deltas)))
        assert len(deltas) > 1
        streamed = "".join(e.data["text"] for e in deltas)
        stored = await wait_for_reply(second, thread["id"], reply_id)
        assert stored["status"] == "complete"
        assert streamed == stored["text"] == events[-1].data["text"]
        assert "offline demo" in streamed

        # Stop from the other process, while the first is writing.
        turn = await post(first, thread["id"], "A second question for the demo")
        reply_id = turn["assistant_message"]["id"]
        seen = await read_events(
            second,
            thread["id"],
            last_event_id=events[-1].id,
            stop=lambda e: e.event == "message.delta" and e.data["message_id"] == reply_id,
        )
        response = await second.post(f"/api/v1/threads/{thread['id']}/messages/{reply_id}/cancel")
        assert response.status_code == 200
        rest = await read_events(
            second, thread["id"], last_event_id=seen[-1].id, stop=reply_finished(reply_id)
        )
        assert rest[-1].event == "message.cancelled"
        stored = await wait_for_reply(first, thread["id"], reply_id)
        assert stored["status"] == "cancelled"
        partial = "".join(
            e.data["text"]
            for e in seen + rest
            if e.event == "message.delta" and e.data["message_id"] == reply_id
        )
        assert partial == stored["text"] == rest[-1].data["text"]
        assert len(stored["text"]) > 0
