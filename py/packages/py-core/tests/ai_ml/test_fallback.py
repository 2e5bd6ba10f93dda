"""A model with a fallback chain hands the turn to the next model when it fails."""

from __future__ import annotations

import json

import pytest
from pydantic_ai.exceptions import ModelHTTPError, ModelRateLimitError, ModelUnavailableError

from py_core.ai_ml import ChatEngine, ChatError, TurnRequest, TurnResult, dump_messages
from py_core_testing.models import catalog_of, collect, failing_model, text_model

KEY = "sk-live-fallback-secret"


def rate_limited() -> ModelHTTPError:
    return ModelHTTPError.for_category(
        ModelRateLimitError, status_code=429, model_name="first", body={"key": KEY}
    )


async def test_the_second_model_answers_when_the_first_fails() -> None:
    catalog = catalog_of(
        {
            "main": failing_model(rate_limited(), model_name="first"),
            "backup": text_model("Backup here.", model_name="second"),
        },
        fallbacks={"main": ["backup"]},
    )
    engine = ChatEngine(catalog)

    items = await collect(engine.stream_turn(TurnRequest(model_id="main", user_text="hi")))

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert result.text == "Backup here."
    assert result.model_name == "second"
    stored = json.dumps(dump_messages(result.new_messages))
    assert "first" in stored  # the failed attempt is on record...
    assert KEY not in stored  # ...without what the provider said


async def test_when_every_model_fails_the_last_reason_is_reported() -> None:
    unavailable = ModelHTTPError.for_category(
        ModelUnavailableError, status_code=503, model_name="second"
    )
    catalog = catalog_of(
        {
            "main": failing_model(rate_limited(), model_name="first"),
            "backup": failing_model(unavailable, model_name="second"),
        },
        fallbacks={"main": ["backup"]},
    )

    with pytest.raises(ChatError) as caught:
        await collect(ChatEngine(catalog).stream_turn(TurnRequest(model_id="main", user_text="hi")))

    assert caught.value.kind == "model_unavailable"
    assert KEY not in str(caught.value)


async def test_a_fallback_is_not_used_when_the_first_model_works() -> None:
    catalog = catalog_of(
        {"main": text_model("Main.", model_name="first"), "backup": text_model("No.")},
        fallbacks={"main": ["backup"]},
    )

    items = await collect(
        ChatEngine(catalog).stream_turn(TurnRequest(model_id="main", user_text="x"))
    )

    result = items[-1]
    assert isinstance(result, TurnResult)
    assert (result.text, result.model_name) == ("Main.", "first")
