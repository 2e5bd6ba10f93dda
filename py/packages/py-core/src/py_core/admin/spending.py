"""What administrators decide about spending: who may use which model, everyone's
budget and each user's override. Each change is written to the audit log in its own
transaction (`record`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from sqlalchemy import Select, delete, select

from py_core.admin._access import require_admin
from py_core.admin.audit import record
from py_core.ai_ml.pricing import to_nanos, usd
from py_core.ai_ml.providers import ModelOption
from py_core.budgets import Limit
from py_core.chat.model_access import access_of
from py_core.context import Context
from py_core.database.models import (
    AuditAction,
    BudgetLimit,
    BudgetPeriod,
    ModelAccessRule,
    User,
    normalise_email,
)
from py_core.errors import InvalidInput, NotFound

RoleName = Literal["admin", "user"]


@dataclass(frozen=True, kw_only=True)
class ModelAccessView:
    """One configured model and who may use it, as /admin shows it."""

    option: ModelOption
    """The model."""
    chosen: bool
    """An administrator's rule applies (else the configuration's `access`)."""
    everyone: bool
    """Open to every account."""
    roles: list[str]
    """Roles that may use it (when not everyone's)."""
    users: list[User]
    """Accounts that may use it by name (when not everyone's); by email in the
    configuration, by account on /admin."""
    emails: list[str]
    """Emails the configuration lists that have no account (yet)."""


async def list_model_access(ctx: Context) -> list[ModelAccessView]:
    require_admin(ctx)
    if ctx.models is None:
        return []
    rules = {rule.model_id: rule for rule in await ctx.db.scalars(select(ModelAccessRule))}
    views = []
    for option in ctx.models.options:
        rule = rules.get(option.id)
        access = access_of(option, rule)
        if access is None:
            views.append(
                ModelAccessView(
                    option=option,
                    chosen=rule is not None,
                    everyone=True,
                    roles=[],
                    users=[],
                    emails=[],
                )
            )
            continue
        users = list(
            await ctx.db.scalars(
                select(User)
                .where(User.id.in_(access.user_ids) | User.email.in_(access.emails))
                .order_by(User.email)
            )
        )
        known = {user.email for user in users}
        views.append(
            ModelAccessView(
                option=option,
                chosen=rule is not None,
                everyone=False,
                roles=sorted(access.roles),
                users=users,
                emails=sorted(access.emails - known),
            )
        )
    return views


@dataclass(frozen=True, kw_only=True)
class SetModelAccess:
    model_id: str
    """A configured model (`UnknownModel` otherwise)."""
    everyone: bool
    """Open it to every account; `roles` and `emails` then do not matter."""
    roles: Sequence[RoleName] = ()
    """Roles whose accounts may use it."""
    emails: Sequence[str] = ()
    """Accounts that may use it; each must exist (`InvalidInput` naming those that do not)."""


async def set_model_access(params: SetModelAccess, ctx: Context) -> ModelAccessRule:
    """Replace the configuration's `access` for this model (administrators keep every
    model)."""
    require_admin(ctx)
    if ctx.models is not None:
        ctx.models.get(params.model_id)
    wanted = sorted({normalise_email(e) for e in params.emails if e.strip()})
    users = list(await ctx.db.scalars(select(User).where(User.email.in_(wanted)))) if wanted else []
    missing = sorted(set(wanted) - {user.email for user in users})
    if missing:
        raise InvalidInput(f"No account has the email {', '.join(missing)}.", field="emails")
    rule = await ctx.db.get(ModelAccessRule, params.model_id)
    if rule is None:
        rule = ModelAccessRule(model_id=params.model_id, everyone=True, roles=[], user_ids=[])
        ctx.db.add(rule)
    rule.everyone = params.everyone
    rule.roles = [] if params.everyone else sorted(set(params.roles))
    rule.user_ids = [] if params.everyone else sorted(user.id for user in users)
    record(
        ctx,
        AuditAction.MODEL_ACCESS_CHANGED,
        # Named, not as `target_id`: that column holds user and invite ids (36 characters).
        target_name=params.model_id,
        details={
            "everyone": rule.everyone,
            "roles": rule.roles,
            "users": [] if params.everyone else [user.email for user in users],
        },
    )
    await ctx.db.flush()
    return rule


async def reset_model_access(model_id: str, ctx: Context) -> None:
    """Back to the configuration's `access` for this model."""
    require_admin(ctx)
    rule = await ctx.db.get(ModelAccessRule, model_id)
    if rule is None:
        return
    await ctx.db.delete(rule)
    record(
        ctx,
        AuditAction.MODEL_ACCESS_CHANGED,
        target_name=model_id,
        details={"configuration": True},
    )
    await ctx.db.flush()


@dataclass(frozen=True, kw_only=True)
class BudgetRow:
    """A budget an administrator set: everyone's default, or one user's override."""

    row: BudgetLimit
    """The stored limits."""
    user: User | None
    """Whose override; None for the default."""


async def list_budgets(ctx: Context) -> list[BudgetRow]:
    """The default's rows, then the overrides by email."""
    require_admin(ctx)
    rows = await ctx.db.execute(
        select(BudgetLimit, User)
        .outerjoin(User, User.id == BudgetLimit.user_id)
        .order_by(BudgetLimit.user_id.is_not(None), User.email, BudgetLimit.period)
    )
    return [BudgetRow(row=limit, user=user) for limit, user in rows]


@dataclass(frozen=True, kw_only=True)
class SetBudget:
    period: BudgetPeriod
    """The day's or the month's budget."""
    email: str | None = None
    """Whose override; None for everyone's default."""
    max_tokens: int | None = None
    """Tokens per period; None for no token limit."""
    max_usd: Decimal | None = None
    """US dollars per period; None for no money limit. Neither limit on an override
    means that user has no limit for the period."""


async def set_budget(params: SetBudget, ctx: Context) -> BudgetLimit:
    require_admin(ctx)
    if params.max_tokens is not None and params.max_tokens < 0:
        raise InvalidInput("A token limit cannot be negative.", field="max_tokens")
    if params.max_usd is not None and params.max_usd < 0:
        raise InvalidInput("A money limit cannot be negative.", field="max_usd")
    user = await _user_by_email(params.email, ctx)
    row = await ctx.db.scalar(_budget_row(user, params.period))
    if row is None:
        row = BudgetLimit(user_id=user.id if user else None, period=params.period)
        ctx.db.add(row)
    row.max_tokens = params.max_tokens
    row.max_cost_nanos = None if params.max_usd is None else to_nanos(params.max_usd)
    record(
        ctx,
        AuditAction.BUDGET_CHANGED,
        target=user,
        target_name=None if user else "everyone",
        details={
            "period": params.period.value,
            **_limit_details(Limit(max_tokens=row.max_tokens, max_cost_nanos=row.max_cost_nanos)),
        },
    )
    await ctx.db.flush()
    return row


async def remove_budget(period: BudgetPeriod, email: str | None, ctx: Context) -> None:
    """The override goes (the user has the default again), or the default goes (the
    configuration's applies again)."""
    require_admin(ctx)
    user = await _user_by_email(email, ctx)
    await ctx.db.execute(
        delete(BudgetLimit).where(
            BudgetLimit.period == period,
            BudgetLimit.user_id == user.id if user else BudgetLimit.user_id.is_(None),
        )
    )
    record(
        ctx,
        AuditAction.BUDGET_CHANGED,
        target=user,
        target_name=None if user else "everyone",
        details={"period": period.value, "removed": True},
    )
    await ctx.db.flush()


def _limit_details(limit: Limit) -> dict[str, object]:
    dollars = usd(limit.max_cost_nanos)
    return {"tokens": limit.max_tokens, "usd": None if dollars is None else f"{dollars:f}"}


def _budget_row(user: User | None, period: BudgetPeriod) -> Select[BudgetLimit]:
    owner = BudgetLimit.user_id == user.id if user else BudgetLimit.user_id.is_(None)
    return select(BudgetLimit).where(owner, BudgetLimit.period == period)


async def _user_by_email(email: str | None, ctx: Context) -> User | None:
    if email is None:
        return None
    user = await ctx.db.scalar(select(User).where(User.email == normalise_email(email)))
    if user is None:
        raise NotFound(f"No account has the email {normalise_email(email)}.")
    return user
