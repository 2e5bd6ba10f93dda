"""The offline demo model, and thread titles from the first exchange."""

from __future__ import annotations

from pydantic_ai.exceptions import ModelHTTPError

from py_core.ai_ml import ChatEngine, TextDelta, ToolCallStarted, TurnResult, load_model_catalog
from py_core_testing.models import catalog_of, failing_model, run_turn, text_model


def demo_engine() -> ChatEngine:
    return ChatEngine(load_model_catalog({"PY_APP_DEMO_DELAY": "0"}))


async def test_the_demo_says_what_it_is_and_makes_use_of_the_prompt() -> None:
    items = await run_turn(demo_engine(), "demo", "Please explain how tides work on Earth?")

    result = items[-1]
    assert isinstance(result, TurnResult)
    text = result.text
    assert "offline demo" in text
    assert "PY_APP_MODELS" in text  # how to configure a real provider
    assert "7 words" in text
    assert '"Please explain how tides work on Earth?"' in text
    assert "a question" in text
    assert len([i for i in items if isinstance(i, TextDelta)]) > 10  # streamed, not dumped
    assert result.model_name == "offline-demo"


async def test_the_demo_is_deterministic() -> None:
    texts = []
    for _ in range(2):
        result = (await run_turn(demo_engine(), "demo", "same words"))[-1]
        assert isinstance(result, TurnResult)
        texts.append(result.text)

    assert texts[0] == texts[1]


async def test_the_demo_uses_the_date_tool_when_asked_the_time() -> None:
    items = await run_turn(demo_engine(), "demo", "What day is it today?")

    assert isinstance(items[0], ToolCallStarted)
    assert items[0].tool_name == "current_datetime"
    result = items[-1]
    assert isinstance(result, TurnResult)
    assert "date-and-time tool" in result.text


async def test_the_demo_is_listed_as_the_demo() -> None:
    option = load_model_catalog({}).options[0]

    assert option.is_demo
    assert option.provider == "demo"
    assert "demo" in option.label.lower()


async def test_a_title_comes_from_the_model_cleaned() -> None:
    engine = ChatEngine(catalog_of({"m": text_model('Title: "Tides and the Moon."\nExtra line')}))

    title = await engine.generate_title("m", "How do tides work?", "The Moon pulls...")

    assert title == "Tides and the Moon"


async def test_a_long_title_is_shortened() -> None:
    engine = ChatEngine(catalog_of({"m": text_model("word " * 40)}))

    title = await engine.generate_title("m", "x", "y")

    assert len(title) <= 63
    assert title.endswith("...")


async def test_a_failed_title_falls_back_to_the_users_words() -> None:
    error = ModelHTTPError(500, "m", body="boom")
    engine = ChatEngine(catalog_of({"m": failing_model(error)}))

    title = await engine.generate_title("m", "Plan a three day trip to Lisbon in May please", "...")

    assert title == "Plan a three day trip to Lisbon in..."


async def test_an_empty_title_falls_back_too() -> None:
    engine = ChatEngine(catalog_of({"m": text_model('  ""  ')}))

    assert await engine.generate_title("m", "Hi", "Hello!") == "Hi"
    assert await engine.generate_title("m", "   ", "Hello!") == "New chat"


async def test_the_demo_titles_from_the_users_words() -> None:
    title = await demo_engine().generate_title("demo", "Tell me a joke", "This is the offline demo")

    assert title == "Tell me a joke"
