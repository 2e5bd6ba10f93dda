"""History: turns stored as JSON, rebuilt for the next turn, across model switches, in budget."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ThinkingPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import (
    AgentInfo,
    DeltaThinkingCalls,
    DeltaThinkingPart,
    FunctionModel,
)

from py_core.ai_ml import (
    ChatEngine,
    HistoryBudget,
    TurnRequest,
    TurnResult,
    build_history,
    dump_messages,
    load_messages,
)
from py_core.ai_ml.history import adapt_history
from py_core_testing.models import catalog_of, collect


def transcript(messages: list[ModelMessage]) -> list[str]:
    """The conversation as the model sees it: user prompts and reply texts, in order."""
    lines = []
    for message in messages:
        for part in message.parts:
            if isinstance(part, UserPromptPart):
                lines.append(f"user: {part.content}")
            elif isinstance(part, TextPart):
                lines.append(f"model: {part.content}")
    return lines


class Recorder:
    """A model that records what it is sent and answers `<name> heard <prompt>`."""

    def __init__(self, name: str, *, thinks: bool = False) -> None:
        self.name = name
        self.thinks = thinks
        self.seen: list[list[ModelMessage]] = []

    async def __call__(
        self, messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaThinkingCalls]:
        self.seen.append(list(messages))
        prompt = transcript(messages)[-1].removeprefix("user: ")
        if self.thinks:
            yield {0: DeltaThinkingPart(content="pondering", signature="sig-123")}
        yield f"{self.name} heard {prompt}"


async def run_turn(engine: ChatEngine, model_id: str, text: str, stored: list[Any]) -> TurnResult:
    """One turn on the rebuilt history; its messages go to `stored` through JSON, as a row would."""
    history = build_history(stored)
    items = await collect(
        engine.stream_turn(TurnRequest(model_id=model_id, user_text=text, history=history))
    )
    result = items[-1]
    assert isinstance(result, TurnResult)
    stored.append(json.loads(json.dumps(dump_messages(result.new_messages))))
    return result


async def test_history_round_trips_over_several_turns_and_a_model_switch() -> None:
    alpha, beta = Recorder("alpha", thinks=True), Recorder("beta")
    engine = ChatEngine(
        catalog_of(
            {
                "alpha": FunctionModel(stream_function=alpha, model_name="alpha"),
                "beta": FunctionModel(stream_function=beta, model_name="beta"),
            }
        )
    )
    stored: list[Any] = []

    await run_turn(engine, "alpha", "one", stored)
    await run_turn(engine, "alpha", "two", stored)
    last = await run_turn(engine, "beta", "three", stored)

    assert transcript(beta.seen[-1]) == [
        "user: one",
        "model: alpha heard one",
        "user: two",
        "model: alpha heard two",
        "user: three",
    ]
    # alpha's signed thinking stays out of what beta, another provider, is sent.
    assert not any(isinstance(p, ThinkingPart) for m in beta.seen[-1] for p in m.parts)
    assert last.text == "beta heard three"
    assert load_messages(stored[-1]) == last.new_messages


def turn(user: str, reply: str, *, tool: bool = False) -> list[dict[str, Any]]:
    """A stored turn: the user's request, optionally a tool round trip, then the reply."""
    messages: list[ModelMessage] = [ModelRequest(parts=[UserPromptPart(user)])]
    if tool:
        call = ToolCallPart(tool_name="current_datetime", args="{}", tool_call_id=f"id-{user}")
        messages += [
            ModelResponse(parts=[call]),
            ModelRequest(
                parts=[
                    ToolReturnPart(
                        tool_name="current_datetime", content="noon", tool_call_id=f"id-{user}"
                    )
                ]
            ),
        ]
    messages.append(ModelResponse(parts=[TextPart(reply)]))
    return dump_messages(messages)


def test_the_budget_drops_the_oldest_turns_first() -> None:
    stored = [turn(f"q{i}", "x" * 400) for i in range(5)]  # about 100 tokens each

    history = build_history(stored, budget=HistoryBudget(max_tokens=350))

    assert [line for line in transcript(history) if line.startswith("user")] == [
        "user: q2",
        "user: q3",
        "user: q4",
    ]


def test_the_budget_never_splits_a_tool_call_from_its_result() -> None:
    stored = [turn("old", "a" * 400), turn("tool", "b" * 400, tool=True), turn("new", "c" * 40)]

    history = build_history(stored, budget=HistoryBudget(max_tokens=100))

    calls = [p for m in history for p in m.parts if isinstance(p, ToolCallPart)]
    returns = [p for m in history for p in m.parts if isinstance(p, ToolReturnPart)]
    assert len(calls) == len(returns)
    assert [line for line in transcript(history) if line.startswith("user")] == ["user: new"]

    roomier = build_history(stored, budget=HistoryBudget(max_tokens=200))
    calls = [p for m in roomier for p in m.parts if isinstance(p, ToolCallPart)]
    returns = [p for m in roomier for p in m.parts if isinstance(p, ToolReturnPart)]
    assert [c.tool_call_id for c in calls] == [r.tool_call_id for r in returns] == ["id-tool"]
    assert [line for line in transcript(roomier) if line.startswith("user")] == [
        "user: tool",
        "user: new",
    ]


def test_a_turn_limit_keeps_the_latest_turns() -> None:
    stored = [turn(f"q{i}", "ok") for i in range(4)]

    history = build_history(stored, budget=HistoryBudget(max_turns=2, max_tokens=None))

    assert transcript(history) == ["user: q2", "model: ok", "user: q3", "model: ok"]


def test_thinking_is_kept_for_its_own_provider_only() -> None:
    response = ModelResponse(
        parts=[ThinkingPart("hmm", signature="s", provider_name="anthropic"), TextPart("hi")]
    )
    only_thinking = ModelResponse(parts=[ThinkingPart("hmm", provider_name="anthropic")])

    same = adapt_history([response], provider="anthropic")
    other = adapt_history([response, only_thinking], provider="openai")

    assert same == [response]
    assert len(other) == 1
    assert isinstance(other[0], ModelResponse)
    assert other[0].parts == [TextPart("hi")]
