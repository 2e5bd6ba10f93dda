"""What a user spent in a period, what their budget is, and the check that holds a
reply's share before it starts.

A turn (or `/v1` call) may start while the user's spending in each limited period,
counting what replies in flight hold, is below the limit; it then holds its prompt and
its longest possible reply. The check and the hold run under a lock on the user's row
(on SQLite, the one writer), so concurrent requests of one user are admitted one at a
time, each seeing the holds of those before: however many arrive at the limit, only
the last one admitted can go past it, by at most its own reply. A reply holds on its
own row while it is unfinished and counts its real tokens once it ends, so settling is
the same write that ends it, whichever path ends it (the runner, a stop, recovery);
a `/v1` call holds a `BudgetReservation` that the transaction recording it deletes.
Nothing cuts a reply short for what it holds: the hold only bounds who may start.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from sqlalchemy import case, func, select, true
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql.elements import ColumnElement

from py_core.ai_ml.pricing import Price, cost_nanos, usd
from py_core.budgets._periods import Window, window
from py_core.budgets._settings import PROMPT_OVERHEAD_TOKENS, Limit
from py_core.database.models import (
    UNFINISHED_STATUSES,
    BudgetLimit,
    BudgetPeriod,
    BudgetReservation,
    Message,
    MessageRole,
    Thread,
    UsageRecord,
    User,
)
from py_core.errors import Forbidden, QuotaExceeded

if TYPE_CHECKING:
    # Only for annotations: `Context` carries `BudgetSettings` from this package.
    from py_core.context import Context


LimitSource = Literal["user", "default", "configuration"]
"""Where a user's limit for a period comes from: an override for them, the
administrator's default, or the configuration (`BUDGET_*`)."""

WARN_FRACTION = 0.8
"""From this share of a budget on, the user is warned (the chat page, /settings)."""


@dataclass(frozen=True, kw_only=True)
class Spent:
    """A user's spending in one period, holds of replies in flight included."""

    tokens: int
    """Prompt and output tokens."""
    cost_nanos: int
    """Nano-dollars, of the usage whose price is known."""
    unpriced: int
    """Replies and calls in the period whose price is unknown (not counted in cost)."""


@dataclass(frozen=True, kw_only=True)
class PeriodBudget:
    """One limited period of a user's budget, and where they stand in it."""

    period: BudgetPeriod
    """`day` or `month`."""
    limit: Limit
    """The budget."""
    source: LimitSource
    """Where it comes from."""
    window: Window
    """The current period."""
    spent: Spent
    """Spent so far in it."""

    @property
    def used_fraction(self) -> float:
        """The larger share used of the token and money limits (1.0 is all of it)."""
        shares = []
        if self.limit.max_tokens is not None:
            shares.append(self.spent.tokens / self.limit.max_tokens if self.limit.max_tokens else 1)
        if self.limit.max_cost_nanos is not None:
            cap = self.limit.max_cost_nanos
            shares.append(self.spent.cost_nanos / cap if cap else 1)
        return max(shares, default=0.0)

    @property
    def warning(self) -> bool:
        """At least `WARN_FRACTION` of it is used."""
        return self.used_fraction >= WARN_FRACTION

    @property
    def exhausted(self) -> bool:
        tokens, cost = self.limit.max_tokens, self.limit.max_cost_nanos
        return (tokens is not None and self.spent.tokens >= tokens) or (
            cost is not None and self.spent.cost_nanos >= cost
        )


async def limits_of(user_id: str, ctx: Context) -> dict[BudgetPeriod, tuple[Limit, LimitSource]]:
    """The user's budget per period and where each comes from; a period without a
    limit is left out. A user's row replaces the default's, which replaces the
    configuration's."""
    rows = await ctx.db.scalars(
        select(BudgetLimit).where((BudgetLimit.user_id == user_id) | BudgetLimit.user_id.is_(None))
    )
    chosen: dict[BudgetPeriod, tuple[Limit, LimitSource]] = {
        period: (limit, "configuration") for period, limit in ctx.budgets.defaults.items()
    }
    by_user: dict[BudgetPeriod, Limit] = {}
    for row in rows:
        limit = Limit(max_tokens=row.max_tokens, max_cost_nanos=row.max_cost_nanos)
        if row.user_id is None:
            chosen[row.period] = (limit, "default")
        else:
            by_user[row.period] = limit
    for period, limit in by_user.items():
        chosen[period] = (limit, "user")
    return {period: found for period, found in chosen.items() if found[0].is_limited}


async def budget_of(user_id: str, ctx: Context) -> list[PeriodBudget]:
    """The user's limited periods now, each with what was spent in it (day first)."""
    now = ctx.budgets.clock()
    budgets = []
    for period, (limit, source) in sorted((await limits_of(user_id, ctx)).items()):
        current = window(period, now, ctx.budgets.time_zone)
        budgets.append(
            PeriodBudget(
                period=period,
                limit=limit,
                source=source,
                window=current,
                spent=await spent_in(user_id, current, ctx, now=now),
            )
        )
    return budgets


def _in(column: QueryableAttribute[datetime], period: Window) -> ColumnElement[bool]:
    return (column >= period.start) & (column < period.end)


async def spent_in(user_id: str, period: Window, ctx: Context, *, now: datetime) -> Spent:
    """Spent in `period`: ended replies and recorded calls at their real usage, replies
    and calls in flight at what they hold. One statement, so one snapshot: a reply
    that ends meanwhile is counted once, as its hold or as its usage."""
    unfinished = Message.status.in_(UNFINISHED_STATUSES)
    replies = (
        select(
            func.coalesce(
                func.sum(
                    case(
                        (unfinished, Message.reserved_tokens),
                        else_=func.coalesce(Message.input_tokens, 0)
                        + func.coalesce(Message.output_tokens, 0),
                    )
                ),
                0,
            ).label("tokens"),
            func.coalesce(
                func.sum(
                    case(
                        (unfinished, Message.reserved_cost_nanos),
                        else_=func.coalesce(Message.cost_nanos, 0),
                    )
                ),
                0,
            ).label("cost"),
            func.count()
            .filter(~unfinished, Message.cost_nanos.is_(None), Message.output_tokens > 0)
            .label("unpriced"),
        )
        .join(Thread, Thread.id == Message.thread_id)
        .where(
            Thread.owner_id == user_id,
            Message.role == MessageRole.ASSISTANT,
            _in(Message.created_at, period),
        )
        .subquery()
    )
    records = (
        select(
            func.coalesce(func.sum(UsageRecord.input_tokens + UsageRecord.output_tokens), 0).label(
                "tokens"
            ),
            func.coalesce(func.sum(func.coalesce(UsageRecord.cost_nanos, 0)), 0).label("cost"),
            func.count().filter(UsageRecord.cost_nanos.is_(None)).label("unpriced"),
        )
        .where(UsageRecord.user_id == user_id, _in(UsageRecord.created_at, period))
        .subquery()
    )
    holds = (
        select(
            func.coalesce(func.sum(BudgetReservation.tokens), 0).label("tokens"),
            func.coalesce(func.sum(BudgetReservation.cost_nanos), 0).label("cost"),
        )
        .where(
            BudgetReservation.user_id == user_id,
            BudgetReservation.expires_at > now,
            _in(BudgetReservation.created_at, period),
        )
        .subquery()
    )
    row = (
        await ctx.db.execute(
            select(
                replies.c.tokens + records.c.tokens + holds.c.tokens,
                replies.c.cost + records.c.cost + holds.c.cost,
                replies.c.unpriced + records.c.unpriced,
            ).select_from(replies.join(records, true()).join(holds, true()))
        )
    ).one()
    return Spent(tokens=int(row[0]), cost_nanos=int(row[1]), unpriced=int(row[2]))


@dataclass(frozen=True, kw_only=True)
class Hold:
    """What a turn or call holds against its owner's budget until it ends."""

    tokens: int
    """Its prompt (estimated from its characters) and its longest possible reply."""
    cost_nanos: int
    """The same at the model's price; 0 when no money limit applies."""


def prompt_tokens(characters: int) -> int:
    """A prompt's tokens, estimated high: a character is rarely less than a token
    (English runs near 4 characters a token), plus the framing a turn adds."""
    return characters + PROMPT_OVERHEAD_TOKENS


async def admit(
    user: User,
    *,
    model_label: str,
    price: Price | None,
    prompt_characters: Callable[[], Awaitable[int]],
    ctx: Context,
) -> Hold | None:
    """Check `user`'s budget before a turn or call starts, under the lock that admits
    their requests one at a time (held until this unit of work ends); the hold it must
    keep, or None when no budget applies. `prompt_characters` counts what the turn
    sends (asked only when a budget applies). `QuotaExceeded` when a period is spent;
    `Forbidden` for a model without a known price under a money limit."""
    limits = await limits_of(user.id, ctx)
    if not limits:
        return None
    if price is None and any(limit.max_cost_nanos is not None for limit, _ in limits.values()):
        raise Forbidden(
            f"The model {model_label!r} has no known price, and your budget is in money; "
            "pick another model, or ask an administrator to set its price."
        )
    # Serialises the user's admissions across processes (SQLite: this takes the writer).
    await ctx.db.execute(select(User.id).where(User.id == user.id).with_for_update())
    now = ctx.budgets.clock()
    for period, (limit, _source) in sorted(limits.items()):
        current = window(period, now, ctx.budgets.time_zone)
        budget = PeriodBudget(
            period=period,
            limit=limit,
            source=_source,
            window=current,
            spent=await spent_in(user.id, current, ctx, now=now),
        )
        if budget.exhausted:
            raise quota_exceeded(budget)
    prompt = prompt_tokens(await prompt_characters())
    reply = ctx.budgets.reply_tokens
    return Hold(
        tokens=prompt + reply,
        cost_nanos=cost_nanos(price, input_tokens=prompt, output_tokens=reply) or 0,
    )


def limit_out(limit: Limit) -> dict[str, int | str | None]:
    """A limit as the API shows it: tokens, and dollars as a decimal string."""
    dollars = usd(limit.max_cost_nanos)
    return {"tokens": limit.max_tokens, "usd": None if dollars is None else f"{dollars:f}"}


def quota_exceeded(budget: PeriodBudget) -> QuotaExceeded:
    name = "today's" if budget.period is BudgetPeriod.DAY else "this month's"
    parts = []
    if budget.limit.max_tokens is not None:
        parts.append(f"{budget.limit.max_tokens:,} tokens")
    if budget.limit.max_cost_nanos is not None:
        parts.append(f"${usd(budget.limit.max_cost_nanos):f}")
    resets = budget.window.end.strftime("%Y-%m-%d %H:%M UTC")
    return QuotaExceeded(
        f"You have used {name} budget ({' / '.join(parts)}). It resets at {resets}.",
        period=budget.period.value,
        limit=limit_out(budget.limit),
        resets_at=budget.window.end,
    )


def budget_warning(budgets: list[PeriodBudget]) -> str | None:
    """What the chat page says once a budget is `WARN_FRACTION` used (the most used
    one); None below that."""
    warned = [budget for budget in budgets if budget.warning]
    if not warned:
        return None
    budget = max(warned, key=lambda b: b.used_fraction)
    name = "today's" if budget.period is BudgetPeriod.DAY else "this month's"
    resets = budget.window.end.strftime("%Y-%m-%d %H:%M UTC")
    if budget.exhausted:
        return f"You have used all of {name} budget; it resets at {resets}."
    return f"You have used {budget.used_fraction:.0%} of {name} budget; it resets at {resets}."
