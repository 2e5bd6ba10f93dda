"""Chat completions: a conversation sent whole, answered, and kept as a thread or as usage."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

import pytest
from pydantic_ai.exceptions import ModelHTTPError
from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine, ChatError, TextDelta, TurnLimits, TurnResult, UnknownModel
from py_core.ai_ml.history import build_history
from py_core.chat.completions import (
    ChatMessage,
    Completion,
    Completions,
    PreparedCompletion,
    prepare_completion,
)
from py_core.chat.usage import get_usage
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.models import (
    Message,
    MessageRole,
    MessageStatus,
    OutboxEvent,
    Thread,
    UsageRecord,
    User,
)
from py_core.errors import InvalidInput
from py_core_testing.models import catalog_of, failing_model, stalling_model, text_model

LOGGER = logging.getLogger("test.completions")
CONVERSATION = [
    ChatMessage(role="system", text="Be brief."),
    ChatMessage(role="user", text="What is the capital of France?"),
    ChatMessage(role="assistant", text="Paris."),
    ChatMessage(role="user", text="And of Italy?"),
]


def recording_model(seen: list[dict[str, Any]], reply: str = "Rome.") -> FunctionModel:
    """Answers `reply` and notes what each request carried."""

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        seen.append({"messages": messages, "settings": info.model_settings or {}})
        for word in reply.split(" "):
            yield word + " "

    return FunctionModel(stream_function=stream, model_name="recorder-1")


@pytest.fixture
async def database(db_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(db_url)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(database: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_session_factory(database)


@pytest.fixture
async def user(sessions: async_sessionmaker[AsyncSession]) -> User:
    async with session_scope(sessions) as db:
        user = User(email="ada@example.com", display_name="Ada", password_hash="-")
        db.add(user)
    return user


def completions_of(
    sessions: async_sessionmaker[AsyncSession], engine: ChatEngine
) -> tuple[Completions, Context]:
    ctx = Context(db=None, logger=LOGGER, models=engine.catalog)  # type: ignore[arg-type]
    return Completions(engine=engine, sessions=sessions, logger=LOGGER), ctx


async def test_kept_as_a_thread_that_continues_like_any_other(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    seen: list[dict[str, Any]] = []
    engine = ChatEngine(catalog_of({"rec": recording_model(seen)}))
    completions, ctx = completions_of(sessions, engine)
    prepared = prepare_completion(
        Completion(user_id=user.id, model_id="rec", messages=CONVERSATION), ctx.models
    )
    async with aclosing(completions.stream(prepared)) as stream:
        items = [item async for item in stream]
    assert [i.text for i in items if isinstance(i, TextDelta)] == ["Rome. "]
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Rome. "

    # The model saw the instructions, the earlier exchange and the new question.
    request = seen[0]["messages"]
    assert [type(m) for m in request] == [ModelRequest, ModelResponse, ModelRequest]
    assert request[-1].instructions == "Be brief."
    assert request[1].parts == [TextPart("Paris.")]

    async with session_scope(sessions) as db:
        thread = (await db.scalars(select(Thread).where(Thread.owner_id == user.id))).one()
        rows = list(await db.scalars(select(Message).order_by(Message.id)))
        types = list(await db.scalars(select(OutboxEvent.type).order_by(OutboxEvent.id)))
    assert thread.title == "What is the capital of France?"
    assert thread.instructions == "Be brief."
    assert thread.model_id == "rec"
    assert [(m.role, m.text) for m in rows] == [
        (MessageRole.USER, "What is the capital of France?"),
        (MessageRole.ASSISTANT, "Paris."),
        (MessageRole.USER, "And of Italy?"),
        (MessageRole.ASSISTANT, "Rome. "),
    ]
    reply = rows[-1]
    assert reply.id == prepared.reply_id
    assert reply.status is MessageStatus.COMPLETE
    assert reply.model_name == "recorder-1"
    assert reply.output_tokens
    assert reply.input_tokens
    assert types == [
        "thread.created",
        *["message.created"] * 4,
        "message.completed",
    ]
    # The stored turns rebuild the whole conversation: the thread can go on in the UI.
    history = build_history(m.model_messages for m in rows if m.model_messages)
    texts = [
        part.content
        for message in history
        for part in message.parts
        if isinstance(part, UserPromptPart | TextPart)
    ]
    assert texts == ["What is the capital of France?", "Paris.", "And of Italy?", "Rome. "]


async def test_not_kept_records_usage_only(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    engine = ChatEngine(catalog_of({"fast": text_model("Hello there")}))
    completions, ctx = completions_of(sessions, engine)
    kept = await completions.run(
        prepare_completion(
            Completion(user_id=user.id, model_id="fast", messages=CONVERSATION), ctx.models
        )
    )
    prepared = prepare_completion(
        Completion(user_id=user.id, model_id="fast", messages=CONVERSATION, keep=False), ctx.models
    )
    result = await completions.run(prepared)
    assert result.text == "Hello there"
    async with session_scope(sessions) as db:
        assert len(list(await db.scalars(select(Thread)))) == 1
        record = (await db.scalars(select(UsageRecord))).one()
        usage = await get_usage(Context(db=db, logger=LOGGER).as_user(user))
    assert record.id == prepared.reply_id
    assert (record.user_id, record.model_id, record.model_name) == (user.id, "fast", "scripted")
    assert record.input_tokens == result.usage.input_tokens > 0
    assert record.output_tokens == result.usage.output_tokens > 0
    assert usage.input_tokens == kept.usage.input_tokens + result.usage.input_tokens
    assert usage.output_tokens == kept.usage.output_tokens + result.usage.output_tokens


async def test_a_failure_is_raised_and_kept_as_a_failed_reply(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    error = ModelHTTPError(429, "upstream", body={"error": "slow down, key sk-123"})
    engine = ChatEngine(catalog_of({"busy": failing_model(error)}))
    completions, ctx = completions_of(sessions, engine)
    prepared = prepare_completion(
        Completion(user_id=user.id, model_id="busy", messages=CONVERSATION), ctx.models
    )
    with pytest.raises(ChatError) as raised:
        await completions.run(prepared)
    assert raised.value.kind == "rate_limited"
    async with session_scope(sessions) as db:
        reply = await db.get_one(Message, prepared.reply_id)
    assert reply.status is MessageStatus.FAILED
    assert reply.error is not None
    assert "sk-123" not in reply.error


async def test_closing_the_stream_early_keeps_a_cancelled_reply(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    engine = ChatEngine(catalog_of({"slow": stalling_model(["Once ", "upon "])}))
    completions, ctx = completions_of(sessions, engine)
    prepared = prepare_completion(
        Completion(user_id=user.id, model_id="slow", messages=CONVERSATION), ctx.models
    )
    async with aclosing(completions.stream(prepared)) as stream:
        async for item in stream:
            if isinstance(item, TextDelta) and item.text == "upon ":
                break
    async with session_scope(sessions) as db:
        reply = await db.get_one(Message, prepared.reply_id)
    assert reply.status is MessageStatus.CANCELLED
    assert reply.text == "Once upon "


async def test_temperature_and_max_tokens_reach_the_model_under_the_cap(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    seen: list[dict[str, Any]] = []
    engine = ChatEngine(
        catalog_of({"rec": recording_model(seen)}), limits=TurnLimits(max_output_tokens=100)
    )
    completions, ctx = completions_of(sessions, engine)
    for max_tokens in (20, 500, None):
        await completions.run(
            prepare_completion(
                Completion(
                    user_id=user.id,
                    model_id="rec",
                    messages=CONVERSATION,
                    temperature=0.25,
                    max_tokens=max_tokens,
                    keep=False,
                ),
                ctx.models,
            )
        )
    assert [s["settings"].get("max_tokens") for s in seen] == [20, 100, 100]
    assert {s["settings"].get("temperature") for s in seen} == {0.25}


def _prepare(messages: list[ChatMessage], **kwargs: Any) -> PreparedCompletion:
    engine = ChatEngine(catalog_of({"fast": text_model("hi")}))
    ctx = Context(db=None, logger=LOGGER, models=engine.catalog)  # type: ignore[arg-type]
    params: dict[str, Any] = {"user_id": "u", "model_id": "fast", "messages": messages, **kwargs}
    return prepare_completion(Completion(**params), ctx.models)


def test_conversation_checks() -> None:
    with pytest.raises(UnknownModel):
        _prepare(CONVERSATION, model_id="nope")
    for messages in (
        [],
        [ChatMessage(role="system", text="Hi")],
        [ChatMessage(role="user", text="Hi"), ChatMessage(role="assistant", text="Hello")],
        [ChatMessage(role="user", text="   ")],
        [ChatMessage(role="user", text="a \x00 b")],
    ):
        with pytest.raises(InvalidInput) as raised:
            _prepare(messages)
        assert raised.value.field == "messages"
    with pytest.raises(InvalidInput):
        _prepare(CONVERSATION, temperature=3.0)
    with pytest.raises(InvalidInput):
        _prepare(CONVERSATION, max_tokens=0)


async def test_consecutive_user_messages_belong_to_the_next_reply(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    seen: list[dict[str, Any]] = []
    engine = ChatEngine(catalog_of({"rec": recording_model(seen)}))
    completions, ctx = completions_of(sessions, engine)
    messages = [
        ChatMessage(role="assistant", text="Hello, how can I help?"),
        ChatMessage(role="user", text="One"),
        ChatMessage(role="user", text="Two"),
        ChatMessage(role="user", text="Three"),
    ]
    prepared = prepare_completion(
        Completion(user_id=user.id, model_id="rec", messages=messages), ctx.models
    )
    conversation = prepared.conversation
    assert (conversation.user_text, conversation.first_user_text) == ("Three", "One")
    assert sorted(prepared.message_ids) == prepared.message_ids < [prepared.reply_id]
    await completions.run(prepared)

    prompts = [
        part.content
        for message in seen[0]["messages"]
        for part in message.parts
        if isinstance(part, UserPromptPart)
    ]
    assert prompts == ["One", "Two", "Three"]
    async with session_scope(sessions) as db:
        rows = list(await db.scalars(select(Message).order_by(Message.id)))
    assert [m.text for m in rows] == ["Hello, how can I help?", "One", "Two", "Three", "Rome. "]
    history = build_history(m.model_messages for m in rows if m.model_messages)
    assert [type(m) for m in history] == [
        ModelResponse,
        ModelRequest,
        ModelRequest,
        ModelRequest,
        ModelResponse,
    ]


async def test_a_conversation_sent_again_with_more_continues_its_thread(
    sessions: async_sessionmaker[AsyncSession], user: User
) -> None:
    engine = ChatEngine(catalog_of({"fast": text_model("Sure.")}))
    completions, ctx = completions_of(sessions, engine)

    async def call(*messages: tuple[str, str]) -> str:
        conversation = [ChatMessage(role=role, text=text) for role, text in messages]  # type: ignore[arg-type]
        prepared = prepare_completion(
            Completion(user_id=user.id, model_id="fast", messages=conversation), ctx.models
        )
        await completions.run(prepared)
        async with session_scope(sessions) as db:
            return (await db.get_one(Message, prepared.reply_id)).thread_id

    first = await call(("user", "Plan a trip"))
    assert await call(("user", "Plan a trip"), ("assistant", "Sure."), ("user", "To Rome")) == first
    third = [("user", "Plan a trip"), ("assistant", "Sure."), ("user", "To Rome")]
    third += [("assistant", "Sure."), ("user", "In May")]
    assert await call(*third) == first
    # Edited: the conversation leaves the stored one after "Sure.", so it goes on as a
    # branch there, in the same thread.
    edited = await call(("user", "Plan a trip"), ("assistant", "Sure."), ("user", "To Oslo"))
    assert edited == first
    # Other instructions: another conversation.
    other = await call(
        ("system", "Be brief."),
        ("user", "Plan a trip"),
        ("assistant", "Sure."),
        ("user", "To Rome"),
    )
    assert other != first

    async with session_scope(sessions) as db:
        rows = list(
            await db.scalars(select(Message).where(Message.thread_id == first).order_by(Message.id))
        )
        thread = await db.get_one(Thread, first)
        types = list(await db.scalars(select(OutboxEvent.type)))
    texts = {m.id: m.text for m in rows}
    assert [(m.text, texts.get(m.parent_id or "")) for m in rows] == [
        ("Plan a trip", None),
        ("Sure.", "Plan a trip"),
        ("To Rome", "Sure."),
        ("Sure.", "To Rome"),
        ("In May", "Sure."),
        ("Sure.", "In May"),
        ("To Oslo", "Sure."),
        ("Sure.", "To Oslo"),
    ]
    assert rows[6].parent_id == rows[1].id  # the fork: a sibling of "To Rome"
    assert thread.active_leaf_id == rows[-1].id
    assert types.count("thread.created") == 2
    on_rome = [m for m in rows[:6] if m.model_messages]
    history = build_history(m.model_messages for m in on_rome if m.model_messages)
    prompts = [p.content for m in history for p in m.parts if isinstance(p, UserPromptPart)]
    assert prompts == ["Plan a trip", "To Rome", "In May"]
