"""Stopping the app mid-reply: the process exits promptly and the reply is not left
`streaming`; it is marked interrupted (or finished, if it made it in the grace)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from py_core_testing.databases import Backend, TestDatabases

from .harness import PASSWORD, free_port, new_thread, post, sign_up

WORKSPACE = Path(__file__).resolve().parents[3]


def _log_text(log: Path) -> str:
    return log.read_text(errors="replace")


async def _run_app(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as output:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "py_app",
            cwd=WORKSPACE,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            if process.returncode is not None:
                raise AssertionError(_log_text(log))
            try:
                await client.get(f"http://127.0.0.1:{env['PORT']}/healthz")
                return process
            except httpx.TransportError:
                await asyncio.sleep(0.1)
    process.kill()
    raise AssertionError(_log_text(log))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_sigterm_mid_reply_interrupts_it_cleanly(
    backend: Backend, test_databases: TestDatabases, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "DATABASE_URL": await test_databases.fresh(backend),
        "PORT": str(free_port()),
        "PY_APP_DEMO_DELAY": "0.1",
        "SHUTDOWN_GRACE_SECONDS": "0.5",
    }
    env.pop("REDIS_URL", None)
    env.pop("PY_APP_MODELS", None)
    env.pop("PY_APP_MODELS_FILE", None)
    log = tmp_path / "app.log"
    base_url = f"http://127.0.0.1:{env['PORT']}"
    process = await _run_app(env, log)
    try:
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            await sign_up(client, "ada@example.com")
            thread = await new_thread(client)
            turn = await post(client, thread["id"], "A long question for the demo model")
            await asyncio.sleep(1.0)
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 15)
            # uvicorn re-raises the signal once it has shut down cleanly.
            assert process.returncode in (0, -signal.SIGTERM), _log_text(log)
            assert "py_app [-] stopped" in _log_text(log)

        process = await _run_app(env, log)
        async with httpx.AsyncClient(base_url=base_url, timeout=20) as client:
            response = await client.post(
                "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
            )
            assert response.status_code == 200
            messages = (await client.get(f"/api/v1/threads/{thread['id']}/messages")).json()
            reply = next(m for m in messages["items"] if m["id"] == turn["assistant_message"]["id"])
            assert reply["status"] == "failed"
            assert reply["error"].startswith("interrupted")
            assert reply["text"]  # what had streamed is kept
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 15)
