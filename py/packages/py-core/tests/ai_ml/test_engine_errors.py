"""Failures become a `ChatError` of the right kind, readable and free of keys; limits hold."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pydantic_ai.exceptions import (
    ContentFilterError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelServerError,
    ModelUnavailableError,
)
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from py_core.ai_ml import ChatEngine, ChatError, ChatErrorKind, TurnLimits, TurnRequest
from py_core_testing.models import catalog_of, collect, failing_model, stalling_model

KEY = "sk-live-0123456789abcdef"
BODY = {"error": {"message": f"Incorrect API key provided: {KEY}"}}


def http(category: type[ModelAPIError] | None, status: int) -> ModelHTTPError:
    return ModelHTTPError.for_category(
        category,  # type: ignore[arg-type]  # every category used here is an HTTP one
        status_code=status,
        model_name="m",
        body=BODY,
    )


CASES: list[tuple[Exception, ChatErrorKind]] = [
    (http(ModelRateLimitError, 429), "rate_limited"),
    (http(ModelQuotaExceededError, 402), "quota_exceeded"),
    (http(ModelAuthenticationError, 401), "authentication_failed"),
    (http(ModelContextWindowExceededError, 400), "context_too_long"),
    (http(ModelNotFoundError, 404), "model_unavailable"),
    (http(ModelUnavailableError, 503), "model_unavailable"),
    (http(ModelServerError, 500), "provider_error"),
    (http(None, 429), "rate_limited"),
    (http(None, 401), "authentication_failed"),
    (http(None, 418), "provider_error"),
    (
        ModelConnectionError("m", f"connection refused ({KEY})", phase="connect"),
        "model_unavailable",
    ),
    (ContentFilterError(f"filtered {KEY}"), "content_filtered"),
]


@pytest.mark.parametrize(
    ("error", "kind"), CASES, ids=[f"{k}-{type(e).__name__}" for e, k in CASES]
)
async def test_each_provider_error_is_mapped(error: Exception, kind: ChatErrorKind) -> None:
    engine = ChatEngine(catalog_of({"m": failing_model(error)}))

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="hi")))

    failure = caught.value
    assert failure.kind == kind
    assert "'m'" in failure.message
    assert KEY not in str(failure)
    assert KEY not in repr(failure)
    assert failure.__cause__ is None  # the provider's exception (and its body) stays behind


async def test_the_http_status_and_retry_hint_are_kept() -> None:
    error = ModelHTTPError.for_category(
        ModelRateLimitError, status_code=429, model_name="m", headers={"retry-after": "7"}
    )
    engine = ChatEngine(catalog_of({"m": failing_model(error)}))

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="hi")))

    assert (caught.value.status_code, caught.value.retry_after) == (429, 7.0)
    assert "HTTP 429" in caught.value.message


async def test_no_first_token_in_time_is_timed_out() -> None:
    limits = TurnLimits(first_token_timeout=0.01)
    engine = ChatEngine(catalog_of({"m": stalling_model()}), limits=limits)

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="hi")))

    assert caught.value.kind == "timed_out"


async def test_a_turn_over_its_time_is_timed_out() -> None:
    limits = TurnLimits(turn_timeout=0.05, first_token_timeout=None)
    engine = ChatEngine(catalog_of({"m": stalling_model(["Start "])}), limits=limits)

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="hi")))

    assert caught.value.kind == "timed_out"


def tool_loop_model() -> FunctionModel:
    """A model that calls the date-and-time tool again and again."""
    calls = 0

    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[DeltaToolCalls]:
        nonlocal calls
        calls += 1
        yield {0: DeltaToolCall(name="current_datetime", json_args="{}", tool_call_id=f"c{calls}")}

    return FunctionModel(stream_function=stream)


async def test_the_request_limit_stops_a_tool_loop() -> None:
    engine = ChatEngine(catalog_of({"m": tool_loop_model()}), limits=TurnLimits(max_requests=3))

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="loop")))

    assert caught.value.kind == "limit_exceeded"
    assert "request_limit" in caught.value.message


async def test_the_output_token_limit_caps_each_request_and_the_turn() -> None:
    seen: list[int | None] = []

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        seen.append((info.model_settings or {}).get("max_tokens"))
        for word in ["w "] * 12:
            yield word

    engine = ChatEngine(
        catalog_of({"m": FunctionModel(stream_function=stream)}),
        limits=TurnLimits(max_output_tokens=5),
    )

    with pytest.raises(ChatError) as caught:
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="talk")))

    assert seen == [5]
    assert caught.value.kind == "limit_exceeded"


async def test_a_bug_is_not_disguised_as_a_provider_error() -> None:
    engine = ChatEngine(catalog_of({"m": failing_model(ZeroDivisionError("bug"))}))

    with pytest.raises(ZeroDivisionError):
        await collect(engine.stream_turn(TurnRequest(model_id="m", user_text="hi")))
