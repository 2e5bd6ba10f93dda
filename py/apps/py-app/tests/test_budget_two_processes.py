"""A budget holds across app processes: rounds of 50 concurrent requests (web turns and
`/v1` calls, half to each of two processes sharing PostgreSQL and Redis) at the limit
spend no more than the limit plus one reply, and once it is spent every request is
refused with 429 (`quota_exceeded`, `/v1`: `insufficient_quota`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.models import (
    UNFINISHED_STATUSES,
    BudgetReservation,
    Message,
    MessageRole,
    UsageRecord,
)

from .harness import free_port, new_thread, sign_up
from .test_two_processes import _start, _stop, shared_env  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

LIMIT = 6_000
"""Tokens a day: a turn holds about 5,100 (its prompt, the framing and 4,096 for its
reply), a demo reply uses about 300, so a round admits only as many as the holds
leave room for, and the limit is reached by spending, not by holds."""
CONCURRENT = 50


@pytest.fixture
async def budget_apps(
    shared_env: dict[str, str],  # noqa: F811 (the fixture imported above)
    tmp_path: Path,
) -> AsyncIterator[tuple[dict[str, str], list[str], list[Path]]]:
    env = {
        **shared_env,
        "BUDGET_DAY_TOKENS": str(LIMIT),
        "API_REQUESTS_PER_MINUTE": "100000",
        "PY_APP_DEMO_DELAY": "0",
    }
    ports = free_port(), free_port()
    processes = []
    try:
        for index, port in enumerate(ports):
            processes.append(await _start(env, port, tmp_path / f"app{index}.log"))
        logs = [tmp_path / f"app{index}.log" for index in range(len(ports))]
        yield env, [f"http://127.0.0.1:{port}" for port in ports], logs
    finally:
        await _stop(processes)


async def _settled(database_url: str) -> tuple[int, int]:
    """Wait until nothing is in flight; then the real tokens spent and the largest
    single reply or call."""
    engine = create_engine(database_url)
    factory = create_session_factory(engine)
    try:
        for _ in range(600):
            async with session_scope(factory) as db:
                busy = await db.scalar(
                    select(func.count()).where(
                        Message.role == MessageRole.ASSISTANT,
                        Message.status.in_(UNFINISHED_STATUSES),
                    )
                )
                holds = await db.scalar(select(func.count()).select_from(BudgetReservation))
                if busy == 0 and holds == 0:
                    replies = [
                        (i or 0) + (o or 0)
                        for i, o in await db.execute(
                            select(Message.input_tokens, Message.output_tokens).where(
                                Message.role == MessageRole.ASSISTANT
                            )
                        )
                    ]
                    calls = [
                        i + o
                        for i, o in await db.execute(
                            select(UsageRecord.input_tokens, UsageRecord.output_tokens)
                        )
                    ]
                    spent = [*replies, *calls]
                    return sum(spent), max(spent, default=0)
            await asyncio.sleep(0.1)
        raise AssertionError("replies still in flight after a minute")
    finally:
        await engine.dispose()


async def test_fifty_concurrent_requests_at_the_limit_across_two_processes(
    budget_apps: tuple[dict[str, str], list[str], list[Path]],
) -> None:
    env, urls, logs = budget_apps
    async with (
        httpx.AsyncClient(base_url=urls[0], timeout=60) as first,
        httpx.AsyncClient(base_url=urls[1], timeout=60) as second,
    ):
        account = await sign_up(first, "ada@example.com")
        second.cookies.update(first.cookies)
        second.headers["X-CSRF-Token"] = account.csrf_token
        token = (await first.post("/api/v1/tokens", json={"name": "load"})).json()["token"]
        bearer = {"Authorization": f"Bearer {token}"}
        threads = [await new_thread(first) for _ in range(CONCURRENT // 2)]

        async def turn(client: httpx.AsyncClient, thread_id: str) -> int:
            response = await client.post(
                f"/api/v1/threads/{thread_id}/messages", json={"content": "Hello there"}
            )
            if response.status_code == 429:
                assert response.json()["error"]["code"] == "quota_exceeded"
            return response.status_code

        async def call(client: httpx.AsyncClient) -> int:
            response = await client.post(
                "/v1/chat/completions",
                headers=bearer,
                json={"model": "demo", "messages": [{"role": "user", "content": "Hello there"}]},
            )
            if response.status_code == 429:
                assert response.json()["error"]["code"] == "insufficient_quota"
            return response.status_code

        admitted_per_round = []
        for _round in range(30):
            statuses = await asyncio.gather(
                *(turn(first if i % 2 else second, t["id"]) for i, t in enumerate(threads)),
                *(call(second if i % 2 else first) for i in range(CONCURRENT // 2)),
            )
            # A failure names what the apps logged: a 500 here was seen once, under load.
            assert set(statuses) <= {200, 202, 429}, (statuses, _errors_in(logs))
            admitted = sum(1 for s in statuses if s != 429)
            admitted_per_round.append(admitted)
            # Holds keep part of a round out: never all 50 at once.
            assert admitted < CONCURRENT, statuses
            spent, largest = await _settled(env["DATABASE_URL"])
            assert spent <= LIMIT + largest, (spent, largest, admitted_per_round)
            if admitted == 0:
                break
        else:
            pytest.fail(f"the budget never ran out: {admitted_per_round}")
        # The limit was reached by spending (a round admitted some, a later one none).
        assert len(admitted_per_round) >= 2, admitted_per_round
        assert admitted_per_round[0] > 0, admitted_per_round
        assert spent >= LIMIT, (spent, admitted_per_round)
        usage = (await second.get("/api/v1/me/usage")).json()
        assert usage["budgets"][0]["used_tokens"] == spent
        assert usage["budgets"][0]["remaining_tokens"] == 0


def _errors_in(logs: list[Path]) -> str:
    """What the apps logged as errors, for a failure's message."""
    lines = []
    for log in logs:
        text = log.read_text(errors="replace") if log.exists() else ""
        lines += [line for line in text.splitlines() if "ERROR" in line or "Error" in line]
    return "\n".join(lines[-40:])
