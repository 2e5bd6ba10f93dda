"""A reply end to end through the runner: how coalescing cuts events, and its cost."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from benchmarks._report import figure, section, stopwatch
from py_core.ai_ml import ChatEngine
from py_core.chat import (
    CreateThread,
    GenerationRunner,
    PostMessage,
    RunnerSettings,
    create_thread,
    post_message,
)
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.models import Message, MessageStatus, User
from py_core.events import (
    START,
    InProcessEventPublisher,
    MessageDelta,
    OutboxRelay,
    wake_on_commit,
)
from py_core_testing.databases import TestDatabases
from py_core_testing.models import catalog_of

TOKENS = 2_000
TOKEN_GAP = 0.001  # a fast provider: 1,000 tokens per second


async def _fast(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
    for i in range(TOKENS):
        yield f"t{i % 10} "
        await asyncio.sleep(TOKEN_GAP)


async def run() -> None:
    section(
        f"one reply of {TOKENS:,} tokens at ~{1 / TOKEN_GAP:,.0f} tokens/s (SQLite, in-process)"
    )
    databases = TestDatabases(Path(tempfile.mkdtemp(prefix="bench-")))
    engine = create_engine(await databases.fresh("sqlite"))
    factory = create_session_factory(engine)
    publisher = InProcessEventPublisher(logger=logging.getLogger("bench"))
    relay = OutboxRelay(factory, publisher)
    wake_on_commit(factory, relay.wake)
    relay.start()
    runner = GenerationRunner(
        session_factory=factory,
        engine=ChatEngine(catalog_of({"fast": FunctionModel(stream_function=_fast)})),
        publisher=publisher,
        settings=RunnerSettings(),
    )
    await runner.start()
    async with session_scope(factory) as db:
        user = User(email="b@example.com", display_name="B", password_hash="-")
        db.add(user)
        await db.flush()
        ctx = Context(db=db)
        thread = await create_thread(CreateThread(model_id="fast"), ctx.as_user(user))
        turn = await post_message(PostMessage(thread_id=thread.id, content="go"), ctx.as_user(user))
    with stopwatch() as took:
        runner.submit(turn.assistant_message.id)
        while True:
            async with session_scope(factory) as db:
                message = await db.get_one(Message, turn.assistant_message.id)
                if message.status is MessageStatus.COMPLETE:
                    break
            await asyncio.sleep(0.01)
    deltas = []
    async for entry in publisher.subscribe(thread.id, after=START):
        if isinstance(entry.event, MessageDelta):
            deltas.append(entry.event)
        if len(deltas) and entry.stream_id == await publisher.last_id(thread.id):
            break
    figure("reply duration", took[0], "s", f"(model alone: >= {TOKENS * TOKEN_GAP:.1f} s)")
    figure("message.delta events published", len(deltas), "events", f"for {TOKENS:,} tokens")
    figure("tokens per event", TOKENS / max(len(deltas), 1), "tokens")
    await runner.stop()
    await relay.stop()
    await publisher.close()
    await engine.dispose()
    await databases.drop_all()
