"""The chat path end to end over HTTP (issue 10), in separate processes.

A lean OpenAI-compatible server (`_model_server`: 64 words per reply, instant and paced
at 50 words/s), the app (`python -m py_app`) on each stack, and a load client
(`_chat_load`). Beside the app, in the same run, the model server alone, a TCP byte pipe
and a plain httpx2 pass-through in front of it (`_passthrough`; httpx2 is the httpx the
app's models use): the app's throughput is printed as a ratio to the pass-through's at
the same concurrency.

Sizes: `BENCH_QUICK=1` for a short run; `BENCH_CHAT_CALLS` calls per phase (200; 48
quick; a fifth of it at concurrency 1, at least 4 per worker), `BENCH_CHAT_SECONDS`
(no call starts after this long in a phase: 10; 5 quick), `BENCH_CHAT_CONCURRENCY`
(`1,16,64`), `BENCH_CHAT_PACED` concurrent paced turns (200; 0 skips),
`BENCH_CHAT_USERS` accounts (16), `BENCH_CHAT_STACKS` (`sqlite,postgresql,postgresql-workers`:
the last is PostgreSQL + Redis with `WORKERS=2`, one process per core).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks._chat_stacks import (
    WORKERS,
    Stack,
    StackName,
    Unavailable,
    postgres_stack,
    sqlite_stack,
)
from benchmarks._model_server import WORDS
from benchmarks._processes import (
    Child,
    inherited_env,
    run_json,
    start_announcing,
    start_app,
    stop,
    tail,
)
from benchmarks._report import figure, section, table

TARGET_V1 = 200.0
TARGET_TURNS = 150.0
TARGET_CPU_MS = 5.0
TARGET_WORDS = 0.99
TARGET_AFTER_WORD_MS = 150.0
TARGET_MEMORY_MB = 100.0
_OWN_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "PY_APP_MODELS",
    "PY_APP_MODELS_FILE",
    "EVENTS_NAMESPACE",
    "REDIS_KEY_PREFIX",
}


@dataclass(frozen=True, kw_only=True)
class Sizes:
    phases: dict[int, int]
    """Calls at each concurrency."""
    phase_seconds: float
    """No call starts after this long in a phase."""
    users: int
    """Accounts signed up; the virtual users share them round robin (threads are theirs)."""
    paced_turns: int
    """Concurrent turns against the paced server (0: none)."""
    stacks: list[StackName]
    """The stacks to run the app on."""

    @property
    def generations(self) -> int:
        """`MAX_CONCURRENT_GENERATIONS`: every measured turn runs at once, none queues."""
        return max([self.paced_turns, *self.phases])


def sizes_from_env() -> Sizes:
    quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
    calls = int(os.environ.get("BENCH_CHAT_CALLS", 48 if quick else 200))
    per_worker = 1 if quick else 4
    levels = [int(c) for c in os.environ.get("BENCH_CHAT_CONCURRENCY", "1,16,64").split(",")]
    stacks = os.environ.get("BENCH_CHAT_STACKS", "sqlite,postgresql,postgresql-workers").split(",")
    return Sizes(
        phases={c: max(calls // 5, 5) if c == 1 else max(calls, per_worker * c) for c in levels},
        phase_seconds=float(os.environ.get("BENCH_CHAT_SECONDS", 5 if quick else 10)),
        users=int(os.environ.get("BENCH_CHAT_USERS", 16)),
        paced_turns=int(os.environ.get("BENCH_CHAT_PACED", 200)),
        stacks=[s for s in ("sqlite", "postgresql", "postgresql-workers") if s in stacks],
    )


def app_env(stack: Stack, instant: Child, paced: Child, sizes: Sizes) -> dict[str, str]:
    models = [
        {
            "id": model_id,
            "provider": "openai-compatible",
            "model": model_id,
            "base_url": f"{server.origin}/v1",
            "api_key_env": "BENCH_KEY",
        }
        for model_id, server in (("bench", instant), ("bench-paced", paced))
    ]
    many = str(10**9)  # the sign-in and API limits are not what is measured
    return (
        inherited_env(_OWN_VARIABLES)
        | {
            "PY_APP_MODELS": json.dumps(models),
            "BENCH_KEY": "bench",
            "MAX_CONCURRENT_GENERATIONS": str(sizes.generations),
            "REGISTER_LIMIT_PER_IP": many,
            "LOGIN_LIMIT_PER_IP": many,
            "LOGIN_LIMIT_PER_ACCOUNT": many,
            "API_REQUESTS_PER_MINUTE": many,
        }
        | stack.env
    )


async def run() -> None:
    sizes = sizes_from_env()
    section(
        f"chat path end to end over HTTP: {WORDS}-word replies, one word per chunk; "
        f"calls per phase {sizes.phases} (none started after {sizes.phase_seconds:.0f} s); "
        f"MAX_CONCURRENT_GENERATIONS={sizes.generations}, "
        "sign-in and API rate limits lifted; every figure from this run"
    )
    print(f"  load average before: {_load()} (2 cores; other work on the machine lowers every row)")
    instant = await start_announcing("benchmarks._model_server", "instant")
    paced = await start_announcing("benchmarks._model_server", "paced")
    proxy = await start_announcing("benchmarks._passthrough", "http", f"{instant.origin}/v1")
    pipe = await start_announcing("benchmarks._passthrough", "pipe", f"{instant.origin}/v1")
    try:
        baseline = await _limits(instant, pipe, proxy, sizes)
        for name in sizes.stacks:
            await _stack(name, instant, paced, sizes, baseline)
    finally:
        for child in (pipe, proxy, paced, instant):
            await stop(child)
    print(f"\n  load average after: {_load()}")


def _load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


async def _limits(instant: Child, pipe: Child, proxy: Child, sizes: Sizes) -> dict[int, float]:
    """The model server alone, through a byte pipe and through the pass-through: the
    ceilings of what follows. The pass-through's rates are the app's baseline."""
    section("  the limits: the same load client, /v1/chat/completions streamed")
    rows: list[list[str]] = []
    rates: dict[int, float] = {}
    for label, child in (
        ("model server alone", instant),
        ("TCP byte pipe (no HTTP)", pipe),
        ("httpx2 pass-through", proxy),
    ):
        report = await run_json(
            "benchmarks._chat_load",
            {
                "target": "passthrough",
                "base": child.origin,
                "v1": f"{child.origin}/v1/chat/completions",
                "pid": child.pid,
                "model": "bench",
                "phases": sizes.phases,
                "phase_seconds": sizes.phase_seconds,
            },
        )
        for row in report["rows"]:
            rows.append(_limit_cells(label, row))
            if child is proxy:
                rates[row["concurrency"]] = row["rate"]
    table(
        ["", "c", "calls", "per s", "first p50", "first p99", "CPU/reply", "client CPU", "errors"],
        rows,
    )
    return rates


def _limit_cells(label: str, row: dict[str, Any]) -> list[str]:
    return [
        label,
        str(row["concurrency"]),
        str(row["calls"]),
        f"{row['rate']:,.1f}",
        f"{row['first_p50_ms']:,.1f} ms",
        f"{row['first_p99_ms']:,.1f} ms",
        f"{row['server_cpu_ms']:,.2f} ms",
        f"{row['client_cpu_share']:.0%}",
        str(row["errors"]),
    ]


def _open_stack(name: StackName, directory: Path) -> AbstractAsyncContextManager[Stack]:
    if name == "sqlite":
        return sqlite_stack(directory)
    return postgres_stack(workers=WORKERS if name == "postgresql-workers" else 1)


async def _stack(
    name: StackName, instant: Child, paced: Child, sizes: Sizes, baseline: dict[int, float]
) -> None:
    # Kept afterwards (the database removed): the app's log explains a failed row.
    directory = Path(tempfile.mkdtemp(prefix="bench-chat-"))
    started = time.perf_counter()
    try:
        _print_app(await _measure(name, instant, paced, sizes, directory), baseline)
    except Unavailable as exc:
        section(f"  PostgreSQL + Redis: skipped, {exc}")
        return
    except RuntimeError as exc:
        section(f"  {name}: failed: {exc}")
        _print_log_tail(directory)
    finally:
        _remove_database(directory)
    print(f"  ({time.perf_counter() - started:.0f} s; the app's log: {directory / 'app.log'})")


def _print_log_tail(directory: Path) -> None:
    if (directory / "app.log").exists():
        print(tail(directory / "app.log", 30))


def _remove_database(directory: Path) -> None:
    for leftover in directory.glob("bench.db*"):
        leftover.unlink()


async def _measure(
    name: StackName, instant: Child, paced: Child, sizes: Sizes, directory: Path
) -> dict[str, Any]:
    async with (
        _open_stack(name, directory) as stack,
        _app(stack, instant, paced, sizes, directory) as app,
    ):
        section(f"  the app on {stack.title} (pid {app.pid})")
        return await run_json(
            "benchmarks._chat_load",
            {
                "target": "app",
                "base": app.origin,
                "v1": f"{app.origin}/v1/chat/completions",
                "pid": app.pid,
                "model": "bench",
                "phases": sizes.phases,
                "phase_seconds": sizes.phase_seconds,
                "users": sizes.users,
                "paced_model": "bench-paced" if sizes.paced_turns else None,
                "paced_turns": sizes.paced_turns,
                "marks_url": f"{paced.origin}/marks",
            },
        )


@contextlib.asynccontextmanager
async def _app(
    stack: Stack, instant: Child, paced: Child, sizes: Sizes, directory: Path
) -> AsyncIterator[Child]:
    app = await start_app(app_env(stack, instant, paced, sizes), directory)
    try:
        yield app
    finally:
        await stop(app)


def _print_app(report: dict[str, Any], baseline: dict[int, float]) -> None:
    rows = []
    footnotes = []
    for row in report["rows"]:
        label = "/v1 streamed" if row["path"] == "v1" else "chat turn, POST + SSE"
        c = row["concurrency"]
        counted = row["statements"] is not None
        rows.append(
            [
                label,
                str(c),
                str(row["calls"]),
                f"{row['rate']:,.1f}",
                f"{row['rate'] / baseline[c]:.2f}" if baseline.get(c) else "-",
                f"{row['first_p50_ms']:,.1f} ms",
                f"{row['first_p99_ms']:,.1f} ms",
                f"{row['server_cpu_ms']:,.1f} ms",
                f"{row['client_cpu_share']:.0%}",
                str(row["errors"]),
                f"{row['statements']:.1f}" if counted else "",
                f"{row['commits']:.1f} + {row['rollbacks']:.1f}" if counted else "",
                _targets(row),
            ]
        )
        if row["errors"]:
            kinds = ", ".join(f"{k} x{n}" for k, n in sorted(row["error_kinds"].items()))
            footnotes.append(f"  errors of {label} at c={c}: {kinds}")
    table(
        [
            "",
            "c",
            "calls",
            "per s",
            "/ pass-through",
            "first p50",
            "first p99",
            "app CPU/reply",
            "client CPU",
            "errors",
            "SQL/call",
            "commits + rollbacks",
            "target (issue 10)",
        ],
        rows,
    )
    for line in footnotes:
        print(line)
    print(
        "  first = first content chunk (/v1) or first message.delta (turn), from the request;"
        " SQL and transactions per call from /metrics at c=1 (the relay's polls included)"
    )
    took = report["sign_up_seconds"]
    print(
        f"  {report['users']} users signed up (register, sign in, API token; 8 at once) in "
        f"{took:.1f} s; each virtual user has its own thread, accounts are shared"
    )
    if report["setup_retries"]:
        retried = ", ".join(f"{k} x{n}" for k, n in sorted(report["setup_retries"].items()))
        print(f"  setup (sign-ups, sign-ins, tokens, threads) retried answers: {retried}")
    if report["paced"]:
        _print_paced(report["paced"])


def _targets(row: dict[str, Any]) -> str:
    goals: list[tuple[str, bool]] = []
    if row["concurrency"] == 16:
        rate = TARGET_V1 if row["path"] == "v1" else TARGET_TURNS
        goals.append((f">= {rate:.0f}/s", row["rate"] >= rate))
        goals.append((f"<= {TARGET_CPU_MS:.0f} ms CPU", row["server_cpu_ms"] <= TARGET_CPU_MS))
    if row["concurrency"] == 64:
        goals.append(("0 errors", row["errors"] == 0))
    return ", ".join(f"{goal} {'met' if ok else 'MISSED'}" for goal, ok in goals)


def _print_paced(paced: dict[str, Any]) -> None:
    section(
        f"  paced at 50 words/s: {paced['turns']} turns at once on the app, "
        "each on its own thread with its event stream open"
    )

    def verdict(ok: bool) -> str:
        return "met" if ok else "MISSED"

    words_ok = paced["words_share"] >= TARGET_WORDS and paced["errors"] == 0
    figure("turns failed", paced["errors"], "turns", _kinds(paced["error_kinds"]))
    figure(
        "words delivered (message.delta)",
        paced["words_share"] * 100,
        "%",
        f"target >= {TARGET_WORDS:.0%}: {verdict(words_ok)}",
    )
    figure("replies whose final text is exact", paced["exact_replies"], "replies")
    figure("first delta from the POST, p50", paced["first_p50_ms"], "ms")
    figure("first delta from the POST, p99", paced["first_p99_ms"], "ms")
    figure("server's first word from the first POST, p99", paced["word_p99_ms"], "ms")
    figure("first delta after the server's first word, p50", paced["after_word_p50_ms"], "ms")
    figure(
        "first delta after the server's first word, p99",
        paced["after_word_p99_ms"],
        "ms",
        f"target <= {TARGET_AFTER_WORD_MS:.0f} ms: "
        f"{verdict(paced['after_word_p99_ms'] <= TARGET_AFTER_WORD_MS)}",
    )
    above = paced["peak_rss_mb"] - paced["idle_rss_mb"]
    figure(
        "app memory above idle (peak RSS)",
        above,
        "MB",
        f"idle {paced['idle_rss_mb']:.0f} MB; target <= {TARGET_MEMORY_MB:.0f} MB: "
        f"{verdict(above <= TARGET_MEMORY_MB)}",
    )
    figure("all replies done after", paced["seconds"], "s", f"(the server alone: {WORDS / 50} s)")


def _kinds(kinds: dict[str, int]) -> str:
    return ", ".join(f"{k} x{n}" for k, n in sorted(kinds.items()))
