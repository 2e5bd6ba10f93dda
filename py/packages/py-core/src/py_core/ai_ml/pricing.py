"""What a model's tokens cost: the price configured for it (`price`, US dollars per
million tokens), else the one in genai-prices (the price data pydantic-ai ships), else
unknown. Costs are whole nano-dollars (billionths of a dollar), so sums stay exact.

```python
price = catalog.price(model_id)      # looked up once per model, "unknown" (None) included
cost_nanos(price, input_tokens=1200, output_tokens=300)   # None when the price is unknown
```
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from decimal import Decimal

from genai_prices import Usage, calc_price

NANOS_PER_USD = 1_000_000_000
"""Costs are stored in billionths of a US dollar: a token of the cheapest model costs a
few of them, and integers add up exactly on both databases."""
_MILLION = 1_000_000

logger = logging.getLogger("py_core.ai_ml")


@dataclass(frozen=True, kw_only=True)
class Price:
    """A model's price, in US dollars per million tokens."""

    input: Decimal
    """Per million prompt tokens (history and instructions included)."""
    output: Decimal
    """Per million generated tokens."""
    source: str = "configuration"
    """Where it came from: `configuration`, `genai-prices` or `demo` (free)."""


def cost_nanos(price: Price | None, *, input_tokens: int, output_tokens: int) -> int | None:
    """The cost of this usage in nano-dollars, rounded up; None for an unknown price
    (never zero: a reply whose price nobody knows was not free)."""
    if price is None:
        return None
    dollars = (price.input * input_tokens + price.output * output_tokens) / _MILLION
    return math.ceil(dollars * NANOS_PER_USD)


def usd(nanos: int | None) -> Decimal | None:
    """Nano-dollars as dollars, for display; None stays None."""
    return None if nanos is None else Decimal(nanos) / NANOS_PER_USD


def to_nanos(dollars: Decimal) -> int:
    """Dollars (a budget an administrator typed) as whole nano-dollars."""
    return math.ceil(dollars * NANOS_PER_USD)


# Our provider names as genai-prices knows them; the others are looked up by base URL.
_PROVIDER_IDS = {
    "openai": "openai",
    "anthropic": "anthropic",
    "google": "google",
    "groq": "groq",
    "mistral": "mistral",
}


def lookup_price(provider: str, model_name: str, base_url: str | None = None) -> Price | None:
    """The price genai-prices has for this model, or None when it has none.

    Asked once per model (the catalog caches the answer, None included): the snapshot
    is read from the installed package, never fetched."""
    provider_id = _PROVIDER_IDS.get(provider)
    if provider_id is None and not base_url:
        return None
    try:
        if provider_id is not None:
            found = calc_price(
                Usage(input_tokens=_MILLION, output_tokens=_MILLION),
                model_name,
                provider_id=provider_id,
            )
        else:
            found = calc_price(
                Usage(input_tokens=_MILLION, output_tokens=_MILLION),
                model_name,
                provider_api_url=base_url,
            )
    except (LookupError, ValueError) as exc:
        logger.info("no price known for %s model %s: %s", provider, model_name, exc)
        return None
    return Price(input=found.input_price, output=found.output_price, source="genai-prices")
