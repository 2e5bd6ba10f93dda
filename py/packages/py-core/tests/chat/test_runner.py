"""The generation runner end to end: database, bus, outbox relay, engine."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.models import Model
from sqlalchemy import update

from py_core.chat.recovery import recover_expired
from py_core.database import session_scope
from py_core.database.models import Message, MessageStatus
from py_core.database.utils import utcnow
from py_core.events import MessageCompleted, MessageCreated, MessageDelta, MessageFailed
from py_core_testing.models import failing_model, stalling_model, text_model

from .runner_stack import LOGGER, QUICK, Stack

REPLY = "Streams are ordered logs. Each entry has an id; readers resume after the last id."


@pytest.fixture
async def stack(backend: str, db_url: str) -> AsyncIterator[Stack]:
    stack = await Stack.build(backend, db_url)
    yield stack
    await stack.close()


async def wait_for_status(stack: Stack, message_id: str, *statuses: MessageStatus) -> Message:
    async with asyncio.timeout(15):
        while True:
            message = await stack.load(message_id)
            if message.status in statuses:
                return message
            await asyncio.sleep(0.02)


async def test_full_turn_deltas_concatenate_to_the_stored_text(stack: Stack) -> None:
    await stack.start_runner({"m": text_model(REPLY, model_name="scripted-1")})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread, "What is a stream?")
    events = await stack.events_until_final(thread.id, reply.id)

    deltas = [e for e in events if isinstance(e, MessageDelta) and e.message_id == reply.id]
    assert [d.seq for d in deltas] == list(range(len(deltas)))
    assert 1 <= len(deltas) <= len(REPLY.split())  # coalesced, never more than the chunks
    final = events[-1]
    assert isinstance(final, MessageCompleted)
    stored = await stack.load(reply.id)
    assert "".join(d.text for d in deltas) == stored.text == final.text == REPLY
    assert stored.status is MessageStatus.COMPLETE
    # The catalog id, as the thread names it; the provider's name beside it.
    assert (stored.model_id, stored.model_name) == ("m", "scripted-1")
    assert (final.model_id, final.model_name) == ("m", "scripted-1")
    assert stored.output_tokens
    assert stored.model_messages  # kept for the next turn's history
    assert stored.lease_expires_at is None
    created = [e for e in events if isinstance(e, MessageCreated)]
    assert [e.role for e in created] == ["user", "assistant"]


async def test_second_turn_sees_the_first_in_its_history(stack: Stack) -> None:
    seen: list[int] = []

    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    async def count(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        seen.append(len(messages))
        yield f"reply {len(seen)}"

    await stack.start_runner({"m": FunctionModel(stream_function=count)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    first = await stack.post(user, thread, "one")
    await wait_for_status(stack, first.id, MessageStatus.COMPLETE)
    second = await stack.post(user, thread, "two")
    done = await wait_for_status(stack, second.id, MessageStatus.COMPLETE)
    assert done.text == "reply 2"
    assert seen[-1] == 3  # request one, response one, request two


@pytest.mark.parametrize("elsewhere", [False, True], ids=["here", "from-another-process"])
async def test_cancel_mid_stream_keeps_the_partial_text(stack: Stack, elsewhere: bool) -> None:
    """Stopped at once when this process writes the reply; from another process (only
    the database knows), with the runner's next checkpoint."""
    started = asyncio.Event()
    await stack.start_runner({"m": stalling_model(["Half ", "an ", "answer"], started=started)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    async with asyncio.timeout(10):
        await started.wait()
    await stack.cancel(user, reply, elsewhere=elsewhere)
    done = await wait_for_status(stack, reply.id, MessageStatus.CANCELLED)
    assert done.text == "Half an answer"
    assert done.cancel_requested
    assert done.completed_at is not None
    events = await stack.events_until_final(thread.id, reply.id)
    deltas = [e for e in events if isinstance(e, MessageDelta)]
    assert "".join(d.text for d in deltas) == "Half an answer"


async def test_provider_failure_ends_failed_with_a_readable_error(stack: Stack) -> None:
    error = ModelHTTPError(status_code=429, model_name="gpt-x", body={"error": "slow down"})
    await stack.start_runner({"m": failing_model(error)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    done = await wait_for_status(stack, reply.id, MessageStatus.FAILED)
    assert done.error
    assert "rate" in done.error.lower()
    events = await stack.events_until_final(thread.id, reply.id)
    assert isinstance(events[-1], MessageFailed)
    assert events[-1].error == done.error


async def test_a_killed_generation_is_marked_interrupted_by_recovery(stack: Stack) -> None:
    started = asyncio.Event()
    await stack.start_runner({"m": stalling_model(["Partial "], started=started)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    async with asyncio.timeout(10):
        await started.wait()
    await wait_for_status(stack, reply.id, MessageStatus.STREAMING)
    # The process dies: its tasks vanish without a word, and its lease runs out.
    runner = stack.runner
    assert runner is not None
    assert runner._janitor_task is not None
    tasks = [*runner._tasks, runner._janitor_task]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    async with session_scope(stack.factory) as db:
        await db.execute(
            update(Message)
            .where(Message.id == reply.id)
            .values(status=MessageStatus.STREAMING, lease_expires_at=utcnow() - timedelta(1))
        )
    stack.runner = None
    recovered = await recover_expired(stack.factory, logger=LOGGER)
    assert recovered == [reply.id]
    done = await stack.load(reply.id)
    assert done.status is MessageStatus.FAILED
    assert (done.error or "").startswith("interrupted")
    events = await stack.events_until_final(thread.id, reply.id)
    assert isinstance(events[-1], MessageFailed)
    assert await recover_expired(stack.factory, logger=LOGGER) == []


async def test_a_live_lease_is_not_recovered(stack: Stack) -> None:
    started = asyncio.Event()
    settings = replace(QUICK, lease_duration=0.5, lease_renew_interval=0.05)
    await stack.start_runner({"m": stalling_model(["x"], started=started)}, settings)
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    async with asyncio.timeout(10):
        await started.wait()
    await asyncio.sleep(1.0)  # two lease lengths: only renewal keeps it alive
    assert await recover_expired(stack.factory, logger=LOGGER) == []
    assert (await stack.load(reply.id)).status is MessageStatus.STREAMING


async def test_stop_interrupts_what_is_still_running(stack: Stack) -> None:
    started = asyncio.Event()
    runner = await stack.start_runner({"m": stalling_model(["So far"], started=started)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    async with asyncio.timeout(10):
        await started.wait()
    await runner.stop()
    stack.runner = None
    done = await stack.load(reply.id)
    assert done.status is MessageStatus.FAILED
    assert (done.error or "").startswith("interrupted")
    assert done.text == "So far"


async def test_concurrency_is_bounded_and_the_rest_wait_in_order(stack: Stack) -> None:
    started = asyncio.Event()
    runner = await stack.start_runner(
        {"m": stalling_model(["..."], started=started)}, replace(QUICK, max_concurrent=2)
    )
    user = await stack.user()
    replies = []
    for _ in range(4):
        thread = await stack.thread(user, "m")
        replies.append(await stack.post(user, thread))
    async with asyncio.timeout(10):
        while runner.running < 2:
            await asyncio.sleep(0.01)
    await asyncio.sleep(0.2)  # time enough for a third to start, if the bound were broken
    statuses = [(await stack.load(r.id)).status for r in replies]
    assert statuses == [MessageStatus.STREAMING] * 2 + [MessageStatus.PENDING] * 2
    assert (runner.running, runner.queued) == (2, 2)
    # Stopping the first frees a slot for the third, in order.
    await stack.cancel(user, replies[0])
    await wait_for_status(stack, replies[2].id, MessageStatus.STREAMING)
    assert (await stack.load(replies[3].id)).status is MessageStatus.PENDING


async def test_a_queued_reply_can_be_cancelled_before_it_starts(stack: Stack) -> None:
    runner = await stack.start_runner(
        {"m": stalling_model(["..."])}, replace(QUICK, max_concurrent=1)
    )
    user = await stack.user()
    first = await stack.post(user, await stack.thread(user, "m"))
    second_thread = await stack.thread(user, "m")
    second = await stack.post(user, second_thread)
    await wait_for_status(stack, first.id, MessageStatus.STREAMING)
    await stack.cancel(user, second)
    assert (await stack.load(second.id)).status is MessageStatus.CANCELLED
    await stack.cancel(user, first)
    await wait_for_status(stack, first.id, MessageStatus.CANCELLED)
    async with asyncio.timeout(5):
        while runner.queued or runner.running:
            await asyncio.sleep(0.01)
    assert (await stack.load(second.id)).status is MessageStatus.CANCELLED
    events = await stack.events_until_final(second_thread.id, second.id)
    assert not [e for e in events if isinstance(e, MessageDelta)]


async def test_checkpoints_save_every_streaming_reply_in_one_go(stack: Stack) -> None:
    started = [asyncio.Event() for _ in range(3)]
    models: dict[str, Model] = {
        f"m{i}": stalling_model([f"part {i}"], started=e) for i, e in enumerate(started)
    }
    await stack.start_runner(models)
    user = await stack.user()
    replies = [await stack.post(user, await stack.thread(user, f"m{i}")) for i in range(3)]
    async with asyncio.timeout(10):
        for event in started:
            await event.wait()
        while [(await stack.load(r.id)).text for r in replies] != [f"part {i}" for i in range(3)]:
            await asyncio.sleep(0.02)


async def test_hundreds_of_concurrent_turns_all_complete_with_the_models_text(
    stack: Stack,
) -> None:
    """200 conversations at once with the default bound: none waits for another, and
    each reply stored is exactly what its model wrote."""
    from pydantic_ai.messages import ModelMessage
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    async def per_thread(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        question = str(messages[-1].parts[-1].content)  # type: ignore[union-attr]
        for word in range(40):
            await asyncio.sleep(0.005)  # a provider's pace: the replies overlap
            yield f"{question}-{word} "

    # The app's pacing of deltas and checkpoints, not the quick one of the other tests.
    paced = replace(QUICK, delta_interval=0.04, checkpoint_interval=1.0, recovery_interval=5.0)
    model: Model = FunctionModel(stream_function=per_thread)
    runner = await stack.start_runner({"m": model}, paced)
    user = await stack.user()
    threads = [await stack.thread(user, "m") for _ in range(200)]
    replies = [await stack.post(user, thread, f"q{i}") for i, thread in enumerate(threads)]
    async with asyncio.timeout(60):
        while runner.queued or runner.running:
            assert runner.queued == 0  # the default bound is far above 200
            await asyncio.sleep(0.05)
    for i, reply in enumerate(replies):
        stored = await stack.load(reply.id)
        assert stored.status is MessageStatus.COMPLETE
        assert stored.text == "".join(f"q{i}-{word} " for word in range(40))
