"""Cancelling a turn stops the model and keeps what it had said."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, UserPromptPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from py_core.ai_ml import ChatEngine, TextDelta, TurnRequest, TurnResult, dump_messages
from py_core.ai_ml.history import build_history
from py_core_testing.models import catalog_of, collect, stalling_model, text_model


async def cancel_once(started: asyncio.Event, cancel: asyncio.Event) -> None:
    """Stop the turn once the model has streamed its opening, as a user pressing Stop."""
    await started.wait()
    cancel.set()


async def test_cancel_mid_stream_keeps_the_partial_text() -> None:
    started = asyncio.Event()
    model = stalling_model(["Once ", "upon ", "a "], started=started)
    engine = ChatEngine(catalog_of({"m": model}))
    cancel = asyncio.Event()

    stopper = asyncio.create_task(cancel_once(started, cancel))

    items = await collect(
        engine.stream_turn(TurnRequest(model_id="m", user_text="story"), cancel=cancel)
    )
    await stopper

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.cancelled
    assert result.text == "Once upon a "
    assert "".join(i.text for i in items if isinstance(i, TextDelta)) == result.text
    response = result.new_messages[-1]
    assert isinstance(response, ModelResponse)
    assert [p.content for p in response.parts if isinstance(p, TextPart)] == ["Once upon a "]
    assert result.usage.requests == 1


async def test_a_cancelled_turn_is_usable_history() -> None:
    started = asyncio.Event()
    cancel = asyncio.Event()
    engine = ChatEngine(catalog_of({"slow": stalling_model(["Half "], started=started)}))
    stopper = asyncio.create_task(cancel_once(started, cancel))
    stream = engine.stream_turn(TurnRequest(model_id="slow", user_text="first"), cancel=cancel)
    items = await collect(stream)
    await stopper
    cancelled = items[-1]
    assert isinstance(cancelled, TurnResult)

    seen: list[list[str]] = []

    async def echo(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        prompts = [
            p.content for m in messages for p in m.parts if isinstance(p, UserPromptPart | TextPart)
        ]
        seen.append([str(p) for p in prompts])
        yield "done"

    engine = ChatEngine(catalog_of({"echo": FunctionModel(stream_function=echo)}))
    history = build_history([dump_messages(cancelled.new_messages)])
    await collect(
        engine.stream_turn(TurnRequest(model_id="echo", user_text="second", history=history))
    )

    assert seen == [["first", "Half ", "second"]]


async def test_cancel_before_the_first_token() -> None:
    engine = ChatEngine(catalog_of({"m": text_model("never seen")}))
    cancel = asyncio.Event()
    cancel.set()

    items = await collect(
        engine.stream_turn(TurnRequest(model_id="m", user_text="hi"), cancel=cancel)
    )

    assert len(items) == 1
    result = items[0]
    assert isinstance(result, TurnResult)
    assert result.cancelled
    assert result.text == ""


async def test_a_finished_turn_ignores_a_late_cancel() -> None:
    engine = ChatEngine(catalog_of({"m": text_model("all of it")}))
    cancel = asyncio.Event()

    items = await collect(
        engine.stream_turn(TurnRequest(model_id="m", user_text="hi"), cancel=cancel)
    )
    cancel.set()

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert not result.cancelled
    assert result.text == "all of it"


async def test_closing_the_stream_early_stops_the_model() -> None:
    stopped = asyncio.Event()

    async def endless(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        try:
            while True:
                yield "more "
                await asyncio.sleep(0)
        finally:
            stopped.set()

    engine = ChatEngine(catalog_of({"m": FunctionModel(stream_function=endless)}))
    stream = engine.stream_turn(TurnRequest(model_id="m", user_text="go"))

    first = await anext(stream)
    await stream.aclose()  # e.g. the process shuts down mid-turn

    assert isinstance(first, TextDelta)
    assert stopped.is_set()
