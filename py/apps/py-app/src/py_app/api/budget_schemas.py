"""Shapes of prices, costs and budgets: in `/api/v1/models`, `/api/v1/me/usage` and the
administrator's budget and usage routes. Dollars travel as decimal strings (exact);
an unknown price or cost is null, never 0."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import BaseModel

from py_core.ai_ml.pricing import Price, usd
from py_core.budgets import LimitSource, PeriodBudget
from py_core.database.models import BudgetPeriod


class PriceOut(BaseModel):
    input_per_million_usd: Decimal
    """US dollars per million prompt tokens."""
    output_per_million_usd: Decimal
    """US dollars per million generated tokens."""
    source: str
    """`configuration`, `genai-prices` or `demo`."""

    @classmethod
    def of(cls, price: Price | None) -> PriceOut | None:
        if price is None:
            return None
        return cls(
            input_per_million_usd=price.input,
            output_per_million_usd=price.output,
            source=price.source,
        )


class LimitOut(BaseModel):
    tokens: int | None
    """Tokens per period; null for no token limit."""
    usd: Decimal | None
    """US dollars per period; null for no money limit."""


class PeriodBudgetOut(BaseModel):
    period: BudgetPeriod
    limit: LimitOut
    source: LimitSource
    """Where the limit comes from: an override for this user, the administrator's
    default, or the configuration."""
    starts_at: datetime
    resets_at: datetime
    """When the period ends and the budget is whole again."""
    used_tokens: int
    """Spent in the period, replies being written included (at what they hold)."""
    used_usd: Decimal
    """Spent in the period, of the usage whose price is known."""
    unpriced: int
    """Replies and calls in the period whose price is unknown (not in `used_usd`)."""
    remaining_tokens: int | None
    remaining_usd: Decimal | None
    used_fraction: float
    """The larger share used of the limits; 0.8 and above is a warning, 1 is spent."""

    @classmethod
    def of(cls, budget: PeriodBudget) -> PeriodBudgetOut:
        limit = budget.limit
        spent = budget.spent
        return cls(
            period=budget.period,
            limit=LimitOut(tokens=limit.max_tokens, usd=usd(limit.max_cost_nanos)),
            source=budget.source,
            starts_at=budget.window.start,
            resets_at=budget.window.end,
            used_tokens=spent.tokens,
            used_usd=usd(spent.cost_nanos) or Decimal(0),
            unpriced=spent.unpriced,
            remaining_tokens=(
                None if limit.max_tokens is None else max(0, limit.max_tokens - spent.tokens)
            ),
            remaining_usd=(
                None
                if limit.max_cost_nanos is None
                else usd(max(0, limit.max_cost_nanos - spent.cost_nanos))
            ),
            used_fraction=round(budget.used_fraction, 4),
        )


class MyUsageOut(BaseModel):
    input_tokens: int
    """Tokens sent to the models (prompts and history)."""
    output_tokens: int
    """Tokens the models wrote."""
    budgets: list[PeriodBudgetOut]
    """The user's limited periods (day, month), where they stand in each; empty when
    no budget applies."""
    warning: bool
    """At least 80% of some budget is used (the chat page warns)."""
