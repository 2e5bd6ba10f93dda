"""The model hears the reply's own branch, whatever the thread shows meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from py_core.chat import PostMessage, SwitchBranch, post_message, switch_branch
from py_core.database import session_scope
from py_core.database.models import Message, MessageStatus, Thread, User

from .runner_stack import Stack
from .test_runner import wait_for_status


@pytest.fixture
async def stack(backend: str, db_url: str) -> AsyncIterator[Stack]:
    stack = await Stack.build(backend, db_url)
    yield stack
    await stack.close()


def _prompts(messages: list[ModelMessage]) -> list[str]:
    return [
        str(part.content)
        for message in messages
        if isinstance(message, ModelRequest)
        for part in message.parts
        if isinstance(part, UserPromptPart)
    ]


async def _post(
    stack: Stack, user: User, thread: Thread, text: str, parent_id: str | None = None
) -> Message:
    async with session_scope(stack.factory) as db:
        params = PostMessage(thread_id=thread.id, content=text)
        if parent_id is not None:
            params = PostMessage(thread_id=thread.id, content=text, parent_id=parent_id)
        turn = await post_message(params, stack.ctx(db).as_user(user))
    return turn.assistant_message


async def test_each_reply_hears_only_its_branch(stack: Stack) -> None:
    started, gate = asyncio.Event(), asyncio.Event()

    async def echo(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        prompts = _prompts(messages)
        if prompts[-1] == "trois":
            yield "so far. "
            started.set()
            await gate.wait()
        yield "saw " + ",".join(prompts)

    await stack.start_runner({"m": FunctionModel(stream_function=echo)})
    user = await stack.user()
    thread = await stack.thread(user, "m")
    first = await _post(stack, user, thread, "one")
    await wait_for_status(stack, first.id, MessageStatus.COMPLETE)
    second = await _post(stack, user, thread, "two")
    await wait_for_status(stack, second.id, MessageStatus.COMPLETE)

    # An edit of "two" answers from its own branch: "two" is not in its history.
    edited = await _post(stack, user, thread, "deux", parent_id=first.id)
    assert (await wait_for_status(stack, edited.id, MessageStatus.COMPLETE)).text == "saw one,deux"

    # Switching back to "two" while a reply streams on the "deux" branch leaves it be.
    streaming = await _post(stack, user, thread, "trois")
    async with asyncio.timeout(10):
        await started.wait()
    async with session_scope(stack.factory) as db:
        ctx = stack.ctx(db).as_user(user)
        await switch_branch(SwitchBranch(thread_id=thread.id, message_id=second.id), ctx)
    gate.set()
    done = await wait_for_status(stack, streaming.id, MessageStatus.COMPLETE)
    assert done.text == "so far. saw one,deux,trois"
    async with session_scope(stack.factory) as db:
        shown = await db.get_one(Thread, thread.id)
        question = await db.get_one(Message, done.parent_id)
    assert shown.active_leaf_id == second.id
    assert question.text == "trois"
