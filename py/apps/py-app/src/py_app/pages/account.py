"""The settings page: the signed-in user's account, password, sessions, API tokens.

It reads the user's usage here; its script lists the sessions and tokens and makes
every change through the JSON API (`/api/v1/me/...`, `/api/v1/tokens`).
"""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from py_app.api.budget_schemas import PeriodBudgetOut
from py_app.pages.templating import SignedIn, ViewerContext, render
from py_core.budgets import budget_of
from py_core.chat.usage import get_usage
from py_core.database.utils import utcnow

router = APIRouter(include_in_schema=False)

RECENT = timedelta(days=30)
"""The recent usage the page shows beside the total."""


@router.get("/settings")
async def settings_page(request: Request, viewer: SignedIn, ctx: ViewerContext) -> HTMLResponse:
    return render(
        request,
        "settings.html",
        viewer,
        usage=await get_usage(ctx),
        recent_usage=await get_usage(ctx, since=utcnow() - RECENT),
        recent_days=RECENT.days,
        budgets=[PeriodBudgetOut.of(budget) for budget in await budget_of(ctx.user_id, ctx)],
    )
