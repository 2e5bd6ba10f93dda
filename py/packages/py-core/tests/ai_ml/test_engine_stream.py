"""A turn streams typed items: text in order, tool calls with their results, a final result."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from pydantic_ai.messages import ModelMessage, ModelRequest, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from py_core.ai_ml import (
    ChatEngine,
    TextDelta,
    ToolCallFinished,
    ToolCallStarted,
    TurnRequest,
    TurnResult,
    UnknownModel,
)
from py_core_testing.models import catalog_of, collect, text_model, words

FIXED_NOW = datetime(2026, 3, 14, 15, 9, 26, tzinfo=UTC)


def tool_then_text_model() -> FunctionModel:
    """Calls the date-and-time tool, then answers with what it returned."""

    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        last = messages[-1]
        returns = [p for p in last.parts if isinstance(p, ToolReturnPart)]
        if not returns:
            yield {0: DeltaToolCall(name="current_datetime", json_args="{}", tool_call_id="t1")}
            return
        for chunk in words(f"It is {returns[0].model_response_str()}."):
            yield chunk

    return FunctionModel(stream_function=stream, model_name="tooly")


async def test_deltas_arrive_in_order_and_join_to_the_final_text() -> None:
    reply = "The quick brown fox jumps over the lazy dog."
    engine = ChatEngine(catalog_of({"m": text_model(reply)}))

    items = await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="Say it")))

    deltas = [item.text for item in items if isinstance(item, TextDelta)]
    assert deltas == words(reply)
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "".join(deltas) == reply
    assert not result.cancelled
    assert result.model_name == "scripted"
    assert [i for i in items if isinstance(i, TurnResult)] == [result]


async def test_a_tool_call_then_text_in_one_turn() -> None:
    engine = ChatEngine(catalog_of({"m": tool_then_text_model()}), clock=lambda: FIXED_NOW)
    request = TurnRequest(model_id="m", user_text="What time is it?", timezone="Europe/Paris")

    items = await collect(engine.stream_turn(request))

    started, finished = items[0], items[1]
    assert isinstance(started, ToolCallStarted)
    assert (started.tool_name, started.call_id, started.args) == ("current_datetime", "t1", {})
    assert isinstance(finished, ToolCallFinished)
    assert finished.call_id == "t1"
    assert "Saturday 14 March 2026, 16:09" in finished.content  # Paris is UTC+1 in March
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == f"It is {finished.content}."
    assert result.usage.requests == 2
    assert result.usage.tool_calls == 1
    kinds = [type(m).__name__ for m in result.new_messages]
    assert kinds == ["ModelRequest", "ModelResponse", "ModelRequest", "ModelResponse"]


async def test_usage_is_recorded() -> None:
    engine = ChatEngine(catalog_of({"m": text_model("one two three")}))

    items = await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="count")))

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.usage.requests == 1
    assert result.usage.input_tokens > 0
    assert result.usage.output_tokens == 3  # FunctionModel counts a token per word


async def test_instructions_reach_the_model_but_only_for_this_turn() -> None:
    seen: list[str | None] = []

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        seen.append(info.instructions)
        yield "ok"

    engine = ChatEngine(catalog_of({"m": FunctionModel(stream_function=stream)}))
    first = await collect(
        engine.stream_turn(TurnRequest(model_id="m", user_text="a", instructions="Be brief."))
    )
    result = first[-1]
    assert isinstance(result, TurnResult)
    await collect(
        engine.stream_turn(
            TurnRequest(
                model_id="m", user_text="b", history=result.new_messages, instructions="Be long."
            )
        )
    )

    assert seen == ["Be brief.", "Be long."]
    assert isinstance(result.new_messages[0], ModelRequest)


async def test_an_unknown_model_is_refused() -> None:
    engine = ChatEngine(catalog_of({"m": text_model("x")}))

    with pytest.raises(UnknownModel) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="nope", user_text="hi")))

    assert caught.value.field == "model"
    assert "'nope'" in caught.value.message


async def test_text_before_and_after_a_tool_call_forms_one_reply() -> None:
    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        if not any(isinstance(p, ToolReturnPart) for p in messages[-1].parts):
            yield "Let me check."
            yield {1: DeltaToolCall(name="current_datetime", json_args="{}", tool_call_id="t1")}
            return
        yield "It is Saturday."

    engine = ChatEngine(catalog_of({"m": FunctionModel(stream_function=stream)}))

    items = await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="Time?")))

    kinds = [type(item).__name__ for item in items]
    assert kinds == [
        "TextDelta",
        "ToolCallStarted",
        "ToolCallFinished",
        "TextDelta",  # the paragraph break between the two responses
        "TextDelta",
        "TurnResult",
    ]
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Let me check.\n\nIt is Saturday."
    assert "".join(i.text for i in items if isinstance(i, TextDelta)) == result.text
