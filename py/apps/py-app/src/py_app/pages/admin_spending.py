"""The administrator's spending sections of /admin: Models (who may use which), Budgets
(everyone's and overrides), Usage (the report, and its CSV). Tabs of `SECTIONS` in
`pages/admin.py`; every change goes through `/api/v1/admin/...` (`js/admin_spending.js`).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse

from py_app.api.admin_spending import row_out
from py_app.pages.admin import ACTIONS, SECTIONS, require_admin_viewer
from py_app.pages.templating import SignedIn, ViewerContext, render
from py_core.admin.report import UsageReport, usage_report
from py_core.admin.spending import list_budgets, list_model_access
from py_core.ai_ml.pricing import usd
from py_core.database.models import BudgetPeriod
from py_core.errors import InvalidInput

DEFAULT_REPORT_DAYS = 30
"""The period the Usage tab shows first: the last 30 days, today included."""

router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(require_admin_viewer)]
)


@router.get("/models")
async def models_page(request: Request, viewer: SignedIn, ctx: ViewerContext) -> HTMLResponse:
    return render(
        request,
        "admin/models.html",
        viewer,
        sections=SECTIONS,
        section="models",
        actions=ACTIONS,
        models=await list_model_access(ctx),
        prices={option.id: ctx.models.price(option.id) for option in ctx.models.options}
        if ctx.models
        else {},
    )


@router.get("/budgets")
async def budgets_page(request: Request, viewer: SignedIn, ctx: ViewerContext) -> HTMLResponse:
    rows = await list_budgets(ctx)
    return render(
        request,
        "admin/budgets.html",
        viewer,
        sections=SECTIONS,
        section="budgets",
        actions=ACTIONS,
        defaults={row.row.period: row.row for row in rows if row.user is None},
        overrides=[row for row in rows if row.user is not None],
        configured=ctx.budgets.defaults,
        periods=list(BudgetPeriod),
        time_zone=str(ctx.budgets.time_zone),
        usd=usd,
    )


@router.get("/usage")
async def usage_page(
    request: Request,
    viewer: SignedIn,
    ctx: ViewerContext,
    start: Annotated[date | None, Query()] = None,
    end: Annotated[date | None, Query()] = None,
) -> HTMLResponse:
    today = ctx.budgets.clock().astimezone(ctx.budgets.time_zone).date()
    end = end or today
    start = start or end - timedelta(days=DEFAULT_REPORT_DAYS - 1)
    error = None
    try:
        rows = [
            row_out(row)
            for row in (await usage_report(UsageReport(start=start, end=end), ctx)).rows
        ]
    except InvalidInput as exc:
        rows, error = [], exc.message
    return render(
        request,
        "admin/usage.html",
        viewer,
        sections=SECTIONS,
        section="usage",
        actions=ACTIONS,
        rows=rows,
        start=start,
        end=end,
        error=error,
        total_tokens=sum(r.input_tokens + r.output_tokens for r in rows),
        total_usd=sum((r.cost_usd for r in rows if r.cost_usd is not None), start=Decimal(0)),
        unpriced=sum(r.unpriced for r in rows),
        # A total of $0 is shown only when some call had a price: unknown is not free.
        priced=sum(r.calls - r.unpriced for r in rows),
        time_zone=str(ctx.budgets.time_zone),
    )
