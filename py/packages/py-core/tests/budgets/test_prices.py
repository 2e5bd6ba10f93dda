"""A reply's cost: from the configured price, else genai-prices', else unknown (None,
never 0); the engine prices each turn at the answering model's price."""

from decimal import Decimal

from py_core.ai_ml import ChatEngine, ModelCatalog, TurnRequest, TurnResult, load_model_catalog
from py_core.ai_ml.pricing import Price, cost_nanos, lookup_price
from py_core.ai_ml.providers import CatalogEntry, ModelOption
from py_core_testing.models import collect, text_model

MODELS = """[
  {"id": "priced", "provider": "openai", "model": "my-own-model", "api_key_env": "K",
   "price": {"input": "2.50", "output": "10"}},
  {"id": "mini", "provider": "openai", "model": "gpt-4.1-mini", "api_key_env": "K"},
  {"id": "local", "provider": "ollama", "model": "llama3.2", "base_url": "http://127.0.0.1:1"}
]"""


def test_cost_is_exact_nano_dollars_rounded_up() -> None:
    price = Price(input=Decimal("2.50"), output=Decimal("10"))
    # 1,000 prompt tokens at $2.50/M and 500 output at $10/M: $0.0025 + $0.005.
    assert cost_nanos(price, input_tokens=1000, output_tokens=500) == 7_500_000
    # A single token of a cheap model is a fraction of a nano-dollar: never free.
    assert (
        cost_nanos(
            Price(input=Decimal("0.0001"), output=Decimal(0)), input_tokens=1, output_tokens=0
        )
        == 1
    )
    assert cost_nanos(None, input_tokens=1000, output_tokens=500) is None


def test_prices_come_from_the_configuration_then_genai_prices_else_unknown() -> None:
    catalog = load_model_catalog({"PY_APP_MODELS": MODELS, "K": "sk-test"})
    configured = catalog.price("priced")
    assert configured == Price(input=Decimal("2.50"), output=Decimal("10"))
    known = catalog.price("mini")
    assert known is not None
    assert known.source == "genai-prices"
    assert known == lookup_price("openai", "gpt-4.1-mini")
    assert known.input > 0
    assert known.output > known.input
    # Looked up once and kept.
    assert catalog.price("mini") is known
    assert catalog.price("local") is None
    assert lookup_price("openai", "no-such-model-anywhere") is None


def test_the_demo_is_free() -> None:
    assert ModelCatalog.demo().price("demo") == Price(
        input=Decimal(0), output=Decimal(0), source="demo"
    )


async def test_the_engine_prices_each_turn() -> None:
    price = Price(input=Decimal(3), output=Decimal(15))
    catalog = ModelCatalog(
        [
            CatalogEntry(
                option=ModelOption(id="priced", model_name="scripted", price=price),
                model=text_model("Four words of reply"),
            ),
            CatalogEntry(
                option=ModelOption(id="unpriced", model_name="scripted"),
                model=text_model("Four words of reply"),
            ),
        ]
    )
    engine = ChatEngine(catalog)
    items = await collect(engine.stream_turn(TurnRequest(model_id="priced", user_text="Hi")))
    result = items[-1]
    assert isinstance(result, TurnResult)
    usage = result.usage
    assert usage.input_tokens > 0
    assert usage.output_tokens > 0
    assert result.cost_nanos == cost_nanos(
        price, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
    )
    items = await collect(engine.stream_turn(TurnRequest(model_id="unpriced", user_text="Hi")))
    unknown = items[-1]
    assert isinstance(unknown, TurnResult)
    assert unknown.usage.output_tokens > 0
    assert unknown.cost_nanos is None
