"""A reply that ends while PostgreSQL is out of reach keeps its whole text.

The database sits behind a TCP proxy that the test cuts (connections dropped, new ones
refused) and restores, for the runner writing the reply and for a second runner that
stands for another process sharing the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy.engine import make_url

from py_core.ai_ml import ChatEngine
from py_core.chat import GenerationRunner
from py_core.database import create_engine, create_session_factory
from py_core.database.models import MessageStatus
from py_core.events import MessageCompleted, MessageFailed
from py_core_testing.events import TcpProxy
from py_core_testing.models import catalog_of

from .runner_stack import LOGGER, QUICK, Stack

BEFORE = "Written before the outage, "
AFTER = "and the end, written while the database was away."
# Leases short enough that the outage outlasts several of them.
SETTINGS = replace(QUICK, lease_duration=0.5, lease_renew_interval=0.1, recovery_interval=0.1)


def gated_model(started: asyncio.Event, gate: asyncio.Event) -> FunctionModel:
    """Streams `BEFORE`, sets `started`, waits for `gate`, then streams `AFTER` and ends."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        yield BEFORE
        started.set()
        await gate.wait()
        yield AFTER

    return FunctionModel(stream_function=stream, model_name="gated")


@pytest.fixture
async def proxy(db_url: str) -> AsyncIterator[TcpProxy]:
    url = make_url(db_url)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432)
    await proxy.restore()
    yield proxy
    await proxy.cut()


@pytest.fixture
async def stack(db_url: str, proxy: TcpProxy) -> AsyncIterator[Stack]:
    proxied = make_url(db_url).set(port=proxy.port).render_as_string(hide_password=False)
    stack = await Stack.build("postgresql", proxied)
    yield stack
    await stack.close()


@pytest.mark.parametrize("backend", ["postgresql"])
async def test_a_reply_finished_during_an_outage_is_stored_whole(
    stack: Stack, proxy: TcpProxy
) -> None:
    started, gate = asyncio.Event(), asyncio.Event()
    await stack.start_runner({"m": gated_model(started, gate)}, SETTINGS)
    # Another process on the same database, recovering what dead processes left.
    other_engine = create_engine(str(stack.engine.url.render_as_string(hide_password=False)))
    other = GenerationRunner(
        session_factory=create_session_factory(other_engine),
        engine=ChatEngine(catalog_of({"m": gated_model(asyncio.Event(), asyncio.Event())})),
        publisher=stack.publisher,
        settings=SETTINGS,
        logger=LOGGER,
    )
    await other.start()
    try:
        user = await stack.user()
        thread = await stack.thread(user, "m")
        reply = await stack.post(user, thread)
        async with asyncio.timeout(10):
            await started.wait()
            while (await stack.load(reply.id)).text != BEFORE:  # checkpointed
                await asyncio.sleep(0.02)
        await proxy.cut()
        gate.set()  # the reply ends now, its final write refused
        await asyncio.sleep(6 * SETTINGS.lease_duration)  # every lease ran out meanwhile
        await proxy.restore()
        events = await stack.events_until_final(thread.id, reply.id)
    finally:
        await other.stop()
        await other_engine.dispose()
    stored = await stack.load(reply.id)
    assert (stored.status, stored.text) == (MessageStatus.COMPLETE, BEFORE + AFTER)
    final = events[-1]
    assert isinstance(final, MessageCompleted)
    assert final.text == BEFORE + AFTER
    assert not [e for e in events if isinstance(e, MessageFailed)]
