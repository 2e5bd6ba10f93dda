"""How budgets are configured: everyone's default per period, the time zone periods
follow, the clock, and how much one reply may hold. Kept apart from the operations so
that `Context` can carry it without importing them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from py_core.database.models.budget import BudgetPeriod
from py_core.database.utils import utcnow

DEFAULT_REPLY_TOKENS = 4096
"""What a reply may write at most, as the engine caps it (`TurnLimits.max_output_tokens`)."""
PROMPT_OVERHEAD_TOKENS = 1000
"""Held for what a turn sends besides the conversation: the instructions the engine
adds, the tools' descriptions, each message's framing."""
CALL_HOLD = timedelta(minutes=10)
"""How long a `/v1` call's hold counts when its process never recorded the call (it
died): past the longest turn (`TurnLimits.turn_timeout`, 5 minutes)."""


@dataclass(frozen=True, kw_only=True)
class Limit:
    """A budget for one period; None in a field is no limit of that kind."""

    max_tokens: int | None = None
    """Tokens, prompt and output together."""
    max_cost_nanos: int | None = None
    """Nano-dollars (`py_core.ai_ml.pricing.NANOS_PER_USD`)."""

    @property
    def is_limited(self) -> bool:
        return self.max_tokens is not None or self.max_cost_nanos is not None


@dataclass(frozen=True, kw_only=True)
class BudgetSettings:
    """The configured budgets (`BUDGET_*`); an administrator's default on /admin
    replaces the configured one for its period."""

    defaults: Mapping[BudgetPeriod, Limit] = field(default_factory=dict[BudgetPeriod, Limit])
    """Everyone's budget per period, as configured."""
    time_zone: tzinfo = field(default_factory=lambda: ZoneInfo("UTC"))
    """Where a day starts at midnight and a month on the 1st (`BUDGET_TIME_ZONE`)."""
    clock: Callable[[], datetime] = utcnow
    """The current time, timezone-aware; tests move it across a period's end."""
    reply_tokens: int = DEFAULT_REPLY_TOKENS
    """The most output one reply may write, which is what a turn holds for its reply."""
