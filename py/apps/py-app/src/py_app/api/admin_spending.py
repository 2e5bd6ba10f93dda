"""The administrator API for spending: who may use which model, budgets (everyone's and
each user's), and the usage report (JSON and CSV). Under `/api/v1/admin` like the rest
of the admin API, behind the same `get_admin_context` on the router."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from py_app.api.budget_schemas import LimitOut
from py_app.api.schemas import AUTHENTICATED_ERRORS, error_responses
from py_app.deps import AdminContext, get_admin_context
from py_core.admin.report import Report, ReportRow, UsageReport, usage_report
from py_core.admin.spending import (
    BudgetRow,
    ModelAccessView,
    SetBudget,
    SetModelAccess,
    list_budgets,
    list_model_access,
    remove_budget,
    reset_model_access,
    set_budget,
    set_model_access,
)
from py_core.ai_ml.pricing import usd
from py_core.database.models import BudgetPeriod
from py_core.limits import Email

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(get_admin_context)],
    responses=AUTHENTICATED_ERRORS,
)

MAX_LISTED_USERS = 500
"""Accounts named on one model's access list."""
MAX_TOKENS_LIMIT = 10**15
MAX_USD_LIMIT = Decimal(10**9)


class ModelAccessOut(BaseModel):
    model_id: str
    display_name: str
    chosen: bool
    """An administrator's rule (else the configuration's `access`)."""
    everyone: bool
    roles: list[str]
    users: list[str]
    """Emails of the accounts that may use it by name."""
    unknown_emails: list[str]
    """Emails the configuration lists that have no account (yet)."""

    @classmethod
    def of(cls, view: ModelAccessView) -> ModelAccessOut:
        return cls(
            model_id=view.option.id,
            display_name=view.option.label,
            chosen=view.chosen,
            everyone=view.everyone,
            roles=view.roles,
            users=[user.email for user in view.users],
            unknown_emails=view.emails,
        )


class ModelAccessIn(BaseModel):
    everyone: bool
    """Open to every account; `roles` and `users` then do not matter."""
    roles: list[Literal["admin", "user"]] = []
    users: list[Email] = Field(default=[], max_length=MAX_LISTED_USERS)
    """Emails of accounts that may use it; each must exist (422 otherwise)."""


class BudgetOut(BaseModel):
    email: str | None
    """Whose override; null for everyone's default."""
    period: BudgetPeriod
    limit: LimitOut

    @classmethod
    def of(cls, found: BudgetRow) -> BudgetOut:
        row = found.row
        return cls(
            email=found.user.email if found.user else None,
            period=row.period,
            limit=LimitOut(tokens=row.max_tokens, usd=usd(row.max_cost_nanos)),
        )


class BudgetIn(BaseModel):
    email: Email | None = None
    """Whose override; null (or absent) for everyone's default."""
    period: BudgetPeriod
    tokens: int | None = Field(default=None, ge=0, le=MAX_TOKENS_LIMIT)
    """Tokens per period; null for no token limit."""
    usd: Decimal | None = Field(default=None, ge=0, le=MAX_USD_LIMIT, decimal_places=9)
    """US dollars per period; null for no money limit. An override with neither means
    no limit for that user in that period."""


class ReportRowOut(BaseModel):
    day: date
    user_id: str
    email: str
    model_id: str
    calls: int
    input_tokens: int
    output_tokens: int
    cost_usd: Decimal | None
    """Of the calls whose price is known; null when none of them has one."""
    unpriced: int
    """Calls whose price is unknown (not in `cost_usd`)."""


class ReportOut(BaseModel):
    start: date
    end: date
    rows: list[ReportRowOut]


@router.get("/models")
async def get_model_access(ctx: AdminContext) -> list[ModelAccessOut]:
    """Every configured model and who may use it (administrators may use them all)."""
    return [ModelAccessOut.of(view) for view in await list_model_access(ctx)]


@router.put("/models/{model_id}/access", responses=error_responses(404, 422))
async def put_model_access(
    model_id: str, body: ModelAccessIn, ctx: AdminContext
) -> list[ModelAccessOut]:
    """Replace the configuration's `access` for this model (recorded in the audit log)."""
    await set_model_access(
        SetModelAccess(
            model_id=model_id, everyone=body.everyone, roles=body.roles, emails=body.users
        ),
        ctx,
    )
    return [ModelAccessOut.of(view) for view in await list_model_access(ctx)]


@router.delete("/models/{model_id}/access", status_code=204)
async def delete_model_access(model_id: str, ctx: AdminContext) -> Response:
    """Back to the configuration's `access` for this model."""
    await reset_model_access(model_id, ctx)
    return Response(status_code=204)


@router.get("/budgets")
async def get_budgets(ctx: AdminContext) -> list[BudgetOut]:
    """The budgets set here: everyone's default per period, then each override. The
    configured ones (`BUDGET_*`) apply where the default has no row."""
    return [BudgetOut.of(row) for row in await list_budgets(ctx)]


@router.put("/budgets", responses=error_responses(404, 422))
async def put_budget(body: BudgetIn, ctx: AdminContext) -> list[BudgetOut]:
    await set_budget(
        SetBudget(period=body.period, email=body.email, max_tokens=body.tokens, max_usd=body.usd),
        ctx,
    )
    return [BudgetOut.of(row) for row in await list_budgets(ctx)]


@router.delete("/budgets", status_code=204, responses=error_responses(404))
async def delete_budget(
    ctx: AdminContext, period: BudgetPeriod, email: Email | None = None
) -> Response:
    """An override goes (the user has the default again), or the default does (the
    configuration's applies again)."""
    await remove_budget(period, email, ctx)
    return Response(status_code=204)


@router.get("/usage", responses=error_responses(422))
async def get_usage_report(
    ctx: AdminContext,
    start: date,
    end: date,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Tokens and cost per day (in the budgets' time zone), user and model, from `start`
    to `end` (both included, a year at most); `format=csv` for a spreadsheet."""
    report = await usage_report(UsageReport(start=start, end=end), ctx)
    if format == "csv":
        return Response(
            report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="usage-{start}-{end}.csv"'},
        )
    out = ReportOut(start=start, end=end, rows=[row_out(row) for row in report.rows])
    return Response(out.model_dump_json(), media_type="application/json")


def row_out(row: ReportRow) -> ReportRowOut:
    return ReportRowOut(
        day=row.day,
        user_id=row.user_id,
        email=row.email,
        model_id=row.model_id,
        calls=row.calls,
        input_tokens=row.input_tokens,
        output_tokens=row.output_tokens,
        cost_usd=None if row.unpriced == row.calls else usd(row.cost_nanos),
        unpriced=row.unpriced,
    )


CSV_COLUMNS = (
    "day",
    "email",
    "model",
    "calls",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "unpriced_calls",
)


def report_csv(report: Report) -> str:
    """One line per day, user and model; an unknown cost is an empty cell, never 0."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for row in report.rows:
        cost = row_out(row).cost_usd
        writer.writerow(
            [
                row.day.isoformat(),
                row.email,
                row.model_id,
                row.calls,
                row.input_tokens,
                row.output_tokens,
                "" if cost is None else f"{cost:f}",
                row.unpriced,
            ]
        )
    return out.getvalue()
