"""Search and keyset pagination at scale, on SQLite (and PostgreSQL when reachable).

`BENCH_MESSAGES` sets the number of messages (default 200,000; the docs quote 1,000,000).
"""

from __future__ import annotations

import logging
import os
import random
import tempfile
from pathlib import Path

from sqlalchemy import insert, select, text

from benchmarks._report import figure, section, stopwatch
from py_core.chat import (
    ListMessages,
    ListThreads,
    SearchThreads,
    list_messages,
    list_threads,
    search_threads,
)
from py_core.context import Context
from py_core.database import create_engine, create_session_factory
from py_core.database.models import Message, MessageRole, Thread, User
from py_core.database.utils import utcnow, uuid7_str
from py_core_testing import services
from py_core_testing.databases import TestDatabases

WORDS = (  # noqa: SIM905 - a paragraph reads better than 36 quoted words
    "stream delta thread model token reply cursor index query search lease outbox relay "
    "redis sqlite postgres python async event history budget title cancel runner queue "
    "river mountain coffee garden window bicycle orange harbour violin lantern meadow"
).split()
THREADS = 1_000
REPEATS = 20


def _sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 30)))


async def _fill(url: str, messages: int) -> tuple[str, str]:
    engine = create_engine(url)
    rng = random.Random(7)
    user_id = uuid7_str()
    thread_ids = [uuid7_str() for _ in range(THREADS)]
    now = utcnow()
    async with engine.begin() as conn:
        await conn.execute(
            insert(User),
            [{"id": user_id, "email": "bench@example.com", "display_name": "B",
              "password_hash": "-", "created_at": now, "updated_at": now}],
        )  # fmt: skip
        await conn.execute(
            insert(Thread),
            [{"id": t, "owner_id": user_id, "title": _sentence(rng)[:60], "created_at": now,
              "updated_at": now, "last_activity_at": now} for t in thread_ids],
        )  # fmt: skip
    batch = 10_000
    for start in range(0, messages, batch):
        rows = [
            {"id": uuid7_str(), "thread_id": thread_ids[i % THREADS], "role": MessageRole.USER,
             "text": _sentence(rng), "created_at": now}
            for i in range(start, min(start + batch, messages))
        ]  # fmt: skip
        async with engine.begin() as conn:
            await conn.execute(insert(Message), rows)
    # A rare word, in one message only: what a user searching old chats looks for.
    async with engine.begin() as conn:
        await conn.execute(
            insert(Message),
            [{"id": uuid7_str(), "thread_id": thread_ids[3], "role": MessageRole.USER,
              "text": "the quixotic zeppelin landed", "created_at": now}],
        )  # fmt: skip
    await engine.dispose()
    return user_id, thread_ids[3]


async def _measure(backend: str, url: str, messages: int) -> None:
    with stopwatch() as filling:
        user_id, thread_id = await _fill(url, messages)
    figure(f"{backend}: insert {messages:,} messages", messages / filling[0], "rows/s")
    engine = create_engine(url)
    factory = create_session_factory(engine)
    async with factory() as db:
        user = await db.get_one(User, user_id)
        ctx = Context(db=db, logger=logging.getLogger("bench")).as_user(user)
        for query in ("zeppelin", "coffee violin"):
            with stopwatch() as took:
                for _ in range(REPEATS):
                    found = await search_threads(SearchThreads(query=query), ctx)
            figure(
                f"{backend}: search '{query}' ({len(found)} threads)", took[0] / REPEATS * 1e3, "ms"
            )
        with stopwatch() as took:
            for _ in range(REPEATS):
                await db.execute(
                    select(Message.thread_id).where(Message.text.like("%zeppelin%")).limit(50)
                )
        figure(f"{backend}: LIKE '%zeppelin%' for comparison", took[0] / REPEATS * 1e3, "ms")
        page = await list_messages(ListMessages(thread_id=thread_id), ctx)
        with stopwatch() as took:
            for _ in range(REPEATS):
                page = await list_messages(
                    ListMessages(thread_id=thread_id, before=page.next_cursor), ctx
                )
        figure(f"{backend}: messages page of 50 (keyset)", took[0] / REPEATS * 1e3, "ms")
        with stopwatch() as took:
            for _ in range(REPEATS):
                await list_threads(ListThreads(), ctx)
        figure(f"{backend}: threads page of 50 of {THREADS}", took[0] / REPEATS * 1e3, "ms")
        await db.execute(text("SELECT 1"))
    await engine.dispose()


async def run() -> None:
    messages = int(os.environ.get("BENCH_MESSAGES", "200000"))
    section(f"search and pagination ({messages:,} messages in {THREADS:,} threads)")
    databases = TestDatabases(Path(tempfile.mkdtemp(prefix="bench-")))
    try:
        await _measure("sqlite", await databases.fresh("sqlite"), messages)
        if await services.postgres_error() is None:
            await _measure("postgresql", await databases.fresh("postgresql"), messages)
        else:
            print("  postgresql: not reachable, skipped")
    finally:
        await databases.drop_all()
