"""The chat benchmark's load client, in its own process.

`python -m benchmarks._chat_load` reads a `Plan` as JSON on stdin, runs it, and writes
a `Report` as JSON on stdout. Against the app it signs up users, then measures `/v1`
streamed completions and chat turns at each concurrency, and the paced phase; against
the pass-through (or the model server itself) it measures streamed completions only.
The server's CPU and memory come from `/proc/<pid>`, its statements from `/metrics`.

The client is httpx2 (httpx's API; the client the app's models use): against the model
server alone it completed 400-490 streams/s where httpx completed 230-260 at the same
CPU, and a load client must not be what limits the figures.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import resource
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Literal, TypeVar

import httpx2 as httpx
import uvloop

from benchmarks._load_calls import (
    Account,
    Outcome,
    ThreadStream,
    chat_turn,
    new_thread,
    sign_up,
    v1_completion,
)
from benchmarks._model_server import REPLY_TEXT, WORDS

SETUP_CONCURRENCY = 8
WARMUP_CALLS = 8
TURN_TIMEOUT = 60.0
PACED_TIMEOUT = 60.0
_TICKS = os.sysconf("SC_CLK_TCK")

T = TypeVar("T")


@dataclass(kw_only=True)
class Plan:
    """What the load client is asked to measure."""

    target: Literal["app", "passthrough"]
    """The app (users, `/v1` and turns) or a bare `/v1` server (completions only)."""
    base: str
    """The server's origin, `http://127.0.0.1:<port>`."""
    v1: str
    """The `/chat/completions` URL to call."""
    pid: int
    """The server's process, for its CPU and memory."""
    model: str
    """The model id to ask for."""
    phases: dict[int, int]
    """Calls to make at each concurrency."""
    phase_seconds: float = 10.0
    """No new call starts after this long in a phase (the slow stay bounded in time)."""
    users: int = 0
    """Users to sign up; the virtual users share them round robin."""
    paced_model: str | None = None
    """The app's model id on the paced server; None skips the paced phase."""
    paced_turns: int = 200
    """Concurrent turns of the paced phase."""
    marks_url: str = ""
    """The paced server's `GET /marks` (when it wrote each turn's first word)."""


@dataclass(kw_only=True)
class Row:
    """One measured phase."""

    path: Literal["v1", "turn"]
    """`/v1/chat/completions` streamed, or a chat turn (POST + SSE)."""
    concurrency: int
    """Calls in flight at once."""
    calls: int
    """Calls made."""
    seconds: float
    """Wall time of the phase."""
    rate: float
    """Successful calls per second."""
    first_p50_ms: float
    """Time to the first content: chunk (`/v1`) or `message.delta` (turn)."""
    first_p99_ms: float
    """Its 99th percentile."""
    errors: int
    """Calls that failed: a non-2xx answer, a stream without [DONE] or end event."""
    error_kinds: dict[str, int]
    """The failures, by kind."""
    server_cpu_ms: float
    """The server process's CPU time (user + system) per successful call."""
    client_cpu_share: float
    """The load client's CPU time over the phase's wall time (1.0 = one core)."""
    statements: float | None = None
    """SQL statements per call (read from the app's `/metrics`; at concurrency 1)."""
    commits: float | None = None
    """Committed transactions per call."""
    rollbacks: float | None = None
    """Rolled-back transactions per call."""


@dataclass(kw_only=True)
class Paced:
    """The paced phase: many turns at once against a server writing 50 words per second."""

    turns: int
    """Turns started at once, each on its own thread with its stream open."""
    errors: int
    """Turns that failed."""
    error_kinds: dict[str, int]
    """The failures, by kind."""
    seconds: float
    """From the first POST to the last reply's end."""
    words_share: float
    """Words received in `message.delta` events over 64 per turn started (a failed turn
    delivered none)."""
    exact_replies: int
    """Replies whose final text equals what the server sent."""
    first_p50_ms: float
    """First `message.delta`, from the POST."""
    first_p99_ms: float
    """Its 99th percentile."""
    after_word_p50_ms: float
    """First `message.delta`, from the moment the server wrote the first word."""
    after_word_p99_ms: float
    """Its 99th percentile."""
    word_p99_ms: float
    """The server's first word, from the POST, 99th percentile (queueing shows here)."""
    idle_rss_mb: float
    """The app's resident memory before the phase."""
    peak_rss_mb: float
    """Its peak during the phase (sampled every 50 ms)."""


@dataclass(kw_only=True)
class Report:
    rows: list[Row] = field(default_factory=list[Row])
    """Every measured phase, in order."""
    paced: Paced | None = None
    """The paced phase, when run."""
    setup_retries: dict[str, int] = field(default_factory=dict[str, int])
    """Setup calls (sign-up, sign-in, token, thread) retried, by status."""
    users: int = 0
    """Accounts signed up."""
    sign_up_seconds: float = 0.0
    """How long signing the users up took (register, sign in, API token each)."""


def percentile(values: list[float], share: float) -> float:
    """Nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _stat(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as file:
        return file.read().rsplit(")", 1)[1].split()


def _tree(pid: int) -> list[int]:
    """`pid` and its live descendants: the app's worker processes (`WORKERS`) count."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                children.setdefault(int(_stat(int(entry))[1]), []).append(int(entry))
            except OSError:
                continue  # gone meanwhile
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for member in _tree(pid):
        with contextlib.suppress(OSError):
            fields = _stat(member)
            total += (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return total


def rss_mb(pid: int) -> float:
    total = 0.0
    for member in _tree(pid):
        with contextlib.suppress(OSError), open(f"/proc/{member}/status") as file:
            match = re.search(r"^VmRSS:\s+(\d+) kB", file.read(), re.MULTILINE)
            total += int(match[1]) / 1024 if match else 0.0
    return total


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


@dataclass(kw_only=True)
class _Measured:
    outcomes: list[Outcome]
    seconds: float
    server_cpu: float
    client_cpu: float


async def _phase(
    concurrency: int,
    calls: int,
    budget: float,
    pid: int,
    call: Callable[[int, int], Awaitable[Outcome]],
) -> _Measured:
    """`calls` calls, `concurrency` at once, none started after `budget` seconds; worker
    `w` makes its calls one after another."""
    outcomes: list[Outcome] = []
    issued = 0
    start = time.perf_counter()

    async def worker(index: int) -> None:
        nonlocal issued
        while issued < calls and time.perf_counter() - start < budget:
            issued += 1
            outcomes.append(await call(index, issued))

    cpu, own = cpu_seconds(pid), _own_cpu()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    seconds = time.perf_counter() - start
    return _Measured(
        outcomes=outcomes,
        seconds=seconds,
        server_cpu=cpu_seconds(pid) - cpu,
        client_cpu=_own_cpu() - own,
    )


def _row(path: Literal["v1", "turn"], concurrency: int, measured: _Measured) -> Row:
    ok = [o for o in measured.outcomes if o.error is None]
    firsts = [o.first * 1000 for o in ok if o.first is not None]
    kinds = Counter(o.error for o in measured.outcomes if o.error is not None)
    return Row(
        path=path,
        concurrency=concurrency,
        calls=len(measured.outcomes),
        seconds=measured.seconds,
        rate=len(ok) / measured.seconds,
        first_p50_ms=percentile(firsts, 0.5),
        first_p99_ms=percentile(firsts, 0.99),
        errors=sum(kinds.values()),
        error_kinds=dict(kinds),
        server_cpu_ms=measured.server_cpu * 1000 / max(len(ok), 1),
        client_cpu_share=measured.client_cpu / measured.seconds,
    )


async def _db_counters(client: httpx.AsyncClient, base: str) -> dict[str, float]:
    text = (await client.get(f"{base}/metrics")).text
    found: dict[str, float] = {}
    for key, name in (
        ("statements", "db_statements_total"),
        ("commits", 'db_transactions_total{outcome="commit"}'),
        ("rollbacks", 'db_transactions_total{outcome="rollback"}'),
    ):
        match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
        found[key] = float(match[1]) if match else float("nan")
    return found


class _AppLoad:
    """The app's measurements, sharing one client, its users and their tokens."""

    def __init__(self, plan: Plan, client: httpx.AsyncClient) -> None:
        self.plan = plan
        self.client = client
        self.accounts: list[Account] = []
        self.run_id = uuid.uuid4().hex[:8]

    async def sign_up_users(self) -> None:
        async def one(index: int) -> Account:
            email = f"bench-{self.run_id}-{index}@example.com"
            return await sign_up(self.client, self.plan.base, email)

        self.accounts = await _bounded(one, range(self.plan.users), SETUP_CONCURRENCY)

    async def open_threads(self, count: int, model: str) -> list[tuple[Account, ThreadStream]]:
        """`count` new threads on `model`, round robin over the users, each stream open."""

        async def one(index: int) -> tuple[Account, ThreadStream]:
            account = self.accounts[index % len(self.accounts)]
            thread_id = await new_thread(self.client, self.plan.base, account, model)
            return account, ThreadStream(self.client, self.plan.base, thread_id, account)

        threads = await _bounded(one, range(count), SETUP_CONCURRENCY)
        await asyncio.gather(*(stream.connected.wait() for _, stream in threads))
        return threads

    async def v1_phase(self, concurrency: int, calls: int, *, counted: bool) -> Row:
        async def call(worker: int, seq: int) -> Outcome:
            account = self.accounts[worker % len(self.accounts)]
            marker = f"v1 {self.run_id} {concurrency} {seq}"
            return await v1_completion(
                self.client, self.plan.v1, account.bearer, self.plan.model, marker
            )

        return await self._counted_phase("v1", concurrency, calls, call, counted=counted)

    async def turn_phase(self, concurrency: int, calls: int, *, counted: bool) -> Row:
        threads = await self.open_threads(concurrency, self.plan.model)

        async def call(worker: int, seq: int) -> Outcome:
            account, stream = threads[worker]
            content = f"turn {self.run_id} {concurrency} {seq}"
            return await chat_turn(
                self.client, self.plan.base, account, stream, content, TURN_TIMEOUT
            )

        try:
            return await self._counted_phase("turn", concurrency, calls, call, counted=counted)
        finally:
            await asyncio.gather(*(stream.close() for _, stream in threads))

    async def _counted_phase(
        self,
        path: Literal["v1", "turn"],
        concurrency: int,
        calls: int,
        call: Callable[[int, int], Awaitable[Outcome]],
        *,
        counted: bool,
    ) -> Row:
        before = await _db_counters(self.client, self.plan.base) if counted else {}
        measured = await _phase(concurrency, calls, self.plan.phase_seconds, self.plan.pid, call)
        row = _row(path, concurrency, measured)
        if counted:
            after = await _db_counters(self.client, self.plan.base)
            done = max(len(measured.outcomes) - row.errors, 1)
            row.statements = (after["statements"] - before["statements"]) / done
            row.commits = (after["commits"] - before["commits"]) / done
            row.rollbacks = (after["rollbacks"] - before["rollbacks"]) / done
        return row

    async def paced_phase(self, model: str) -> Paced:
        turns = self.plan.paced_turns
        threads = await self.open_threads(turns, model)
        idle = rss_mb(self.plan.pid)
        peak = idle
        done = asyncio.Event()

        async def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, rss_mb(self.plan.pid))
                await asyncio.sleep(0.05)

        sampler = asyncio.create_task(sample())
        markers = [f"paced {self.run_id} {i}" for i in range(turns)]
        posted: list[float] = []

        async def one(index: int) -> Outcome:
            account, stream = threads[index]
            posted.append(time.time())
            return await chat_turn(
                self.client, self.plan.base, account, stream, markers[index], PACED_TIMEOUT
            )

        start = time.perf_counter()
        try:
            outcomes = await asyncio.gather(*(one(i) for i in range(turns)))
        finally:
            seconds = time.perf_counter() - start
            done.set()
            await sampler
            await asyncio.gather(*(stream.close() for _, stream in threads))
        marks: dict[str, float] = (await self.client.get(self.plan.marks_url)).json()
        return _paced(outcomes, markers, marks, seconds, idle, peak, start_wall=min(posted))


def _paced(
    outcomes: list[Outcome],
    markers: list[str],
    marks: dict[str, float],
    seconds: float,
    idle: float,
    peak: float,
    *,
    start_wall: float,
) -> Paced:
    ok = [(o, m) for o, m in zip(outcomes, markers, strict=True) if o.error is None]
    kinds = Counter(o.error for o in outcomes if o.error is not None)
    after_word = [
        (o.first_wall - marks[m]) * 1000 for o, m in ok if o.first_wall is not None and m in marks
    ]
    firsts = [o.first * 1000 for o, _ in ok if o.first is not None]
    word_from_post = [
        (marks[m] - start_wall) * 1000 for m in markers if m in marks
    ]  # every POST leaves within a few ms of the first, so the first POST is the origin
    words = sum(min(len(o.text.split()), WORDS) for o in outcomes)
    return Paced(
        turns=len(outcomes),
        errors=sum(kinds.values()),
        error_kinds=dict(kinds),
        seconds=seconds,
        words_share=words / (WORDS * len(outcomes)),
        exact_replies=sum(1 for o, _ in ok if o.final_text == REPLY_TEXT),
        first_p50_ms=percentile(firsts, 0.5),
        first_p99_ms=percentile(firsts, 0.99),
        after_word_p50_ms=percentile(after_word, 0.5),
        after_word_p99_ms=percentile(after_word, 0.99),
        word_p99_ms=percentile(word_from_post, 0.99),
        idle_rss_mb=idle,
        peak_rss_mb=peak,
    )


async def _bounded(make: Callable[[int], Awaitable[T]], indexes: range, limit: int) -> list[T]:
    gate = asyncio.Semaphore(limit)

    async def one(index: int) -> T:
        async with gate:
            return await make(index)

    return list(await asyncio.gather(*(one(i) for i in indexes)))


async def _run_app(plan: Plan, client: httpx.AsyncClient) -> Report:
    load = _AppLoad(plan, client)
    start = time.perf_counter()
    await load.sign_up_users()
    signed_up = time.perf_counter() - start
    # Warm up: first calls import and build what every later call reuses.
    await load.v1_phase(4, WARMUP_CALLS, counted=False)
    await load.turn_phase(4, WARMUP_CALLS, counted=False)
    report = Report()
    if plan.paced_model:
        report.paced = await load.paced_phase(plan.paced_model)
    for concurrency, calls in sorted(plan.phases.items()):
        report.rows.append(await load.v1_phase(concurrency, calls, counted=concurrency == 1))
    for concurrency, calls in sorted(plan.phases.items()):
        report.rows.append(await load.turn_phase(concurrency, calls, counted=concurrency == 1))
    retries = Counter(r for account in load.accounts for r in account.retries)
    report.setup_retries = dict(retries)
    report.sign_up_seconds = signed_up
    report.users = len(load.accounts)
    return report


async def _run_passthrough(plan: Plan, client: httpx.AsyncClient) -> Report:
    async def call(worker: int, seq: int) -> Outcome:
        return await v1_completion(client, plan.v1, {}, plan.model, f"baseline {seq}")

    await _phase(4, WARMUP_CALLS, plan.phase_seconds, plan.pid, call)
    report = Report()
    for concurrency, calls in sorted(plan.phases.items()):
        measured = await _phase(concurrency, calls, plan.phase_seconds, plan.pid, call)
        report.rows.append(_row("v1", concurrency, measured))
    return report


async def run(plan: Plan) -> Report:
    limits = httpx.Limits(max_connections=2000, max_keepalive_connections=2000)
    # Many users share the client: it must keep no cookie (each call sends its own).
    jar = CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60.0), cookies=jar) as client:
        if plan.target == "app":
            return await _run_app(plan, client)
        return await _run_passthrough(plan, client)


def main() -> None:
    raw = json.load(sys.stdin)
    raw["phases"] = {int(k): v for k, v in raw["phases"].items()}
    report = uvloop.run(run(Plan(**raw)))
    json.dump(asdict(report), sys.stdout)


if __name__ == "__main__":
    main()
