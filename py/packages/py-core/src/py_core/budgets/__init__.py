"""Budgets: what each user may spend per day or month, in tokens and in dollars, and
the checks that enforce them before a turn or `/v1` call starts. See docs/CHAT.md,
Budgets."""

from py_core.budgets._periods import Window, window
from py_core.budgets._settings import (
    CALL_HOLD,
    DEFAULT_REPLY_TOKENS,
    PROMPT_OVERHEAD_TOKENS,
    BudgetSettings,
    Limit,
)
from py_core.budgets.spending import (
    WARN_FRACTION,
    Hold,
    LimitSource,
    PeriodBudget,
    Spent,
    admit,
    budget_of,
    budget_warning,
    limit_out,
    limits_of,
    spent_in,
)

__all__ = [
    "CALL_HOLD",
    "DEFAULT_REPLY_TOKENS",
    "PROMPT_OVERHEAD_TOKENS",
    "WARN_FRACTION",
    "BudgetSettings",
    "Hold",
    "Limit",
    "LimitSource",
    "PeriodBudget",
    "Spent",
    "Window",
    "admit",
    "budget_of",
    "budget_warning",
    "limit_out",
    "limits_of",
    "spent_in",
    "window",
]
