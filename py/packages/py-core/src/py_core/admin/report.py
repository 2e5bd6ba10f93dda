"""The usage report for administrators: tokens and cost per day, user and model over a
chosen period, from every reply and every `/v1` call not kept as a thread."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import chain

from sqlalchemy import select

from py_core.admin._access import require_admin
from py_core.context import Context
from py_core.database.models import (
    UNFINISHED_STATUSES,
    Message,
    MessageRole,
    Thread,
    UsageRecord,
    User,
)
from py_core.errors import InvalidInput

MAX_REPORT_DAYS = 366
"""The longest period one report covers: a year, leap day included."""


@dataclass(kw_only=True)
class ReportRow:
    """What one user spent on one model on one day (in the budgets' time zone)."""

    day: date
    user_id: str
    email: str
    model_id: str
    calls: int = 0
    """Replies and `/v1` calls."""
    input_tokens: int = 0
    output_tokens: int = 0
    cost_nanos: int = 0
    """Of the calls whose price is known."""
    unpriced: int = 0
    """Calls whose price is unknown: their cost is not in `cost_nanos`."""


@dataclass(frozen=True, kw_only=True)
class UsageReport:
    start: date
    """The first day, in the budgets' time zone."""
    end: date
    """The last day (included)."""


@dataclass(frozen=True, kw_only=True)
class Report:
    rows: list[ReportRow] = field(default_factory=list[ReportRow])
    """By day, then email, then model."""


async def usage_report(params: UsageReport, ctx: Context) -> Report:
    require_admin(ctx)
    if params.end < params.start:
        raise InvalidInput("The period ends before it starts.", field="end")
    if (params.end - params.start).days >= MAX_REPORT_DAYS:
        raise InvalidInput(f"A report covers {MAX_REPORT_DAYS} days at most.", field="end")
    zone = ctx.budgets.time_zone
    since = datetime.combine(params.start, time(), zone)
    until = datetime.combine(params.end + timedelta(days=1), time(), zone)
    replies = await ctx.db.execute(
        select(
            Message.created_at,
            User.id,
            User.email,
            Message.model_id,
            Thread.model_id,
            Message.input_tokens,
            Message.output_tokens,
            Message.cost_nanos,
        )
        .join(Thread, Thread.id == Message.thread_id)
        .join(User, User.id == Thread.owner_id)
        .where(
            Message.role == MessageRole.ASSISTANT,
            Message.status.not_in(UNFINISHED_STATUSES),
            Message.created_at >= since,
            Message.created_at < until,
        )
    )
    records = await ctx.db.execute(
        select(
            UsageRecord.created_at,
            User.id,
            User.email,
            UsageRecord.model_id,
            UsageRecord.model_id,
            UsageRecord.input_tokens,
            UsageRecord.output_tokens,
            UsageRecord.cost_nanos,
        )
        .join(User, User.id == UsageRecord.user_id)
        .where(UsageRecord.created_at >= since, UsageRecord.created_at < until)
    )
    table: dict[tuple[date, str, str], ReportRow] = {}
    for at, user_id, email, model_id, thread_model, inputs, outputs, cost in chain(
        replies, records
    ):
        if not (inputs or outputs):
            continue  # a reply that failed before the model answered cost nothing
        model = model_id or thread_model or "unknown"
        day = at.astimezone(zone).date()
        row = table.setdefault(
            (day, email, model), ReportRow(day=day, user_id=user_id, email=email, model_id=model)
        )
        row.calls += 1
        row.input_tokens += inputs or 0
        row.output_tokens += outputs or 0
        if cost is None:
            row.unpriced += 1
        else:
            row.cost_nanos += cost
    return Report(rows=[table[key] for key in sorted(table)])
