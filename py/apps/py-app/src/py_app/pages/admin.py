"""The administrator's pages under /admin: one section per tab (`SECTIONS`), each its own
template extending `admin/_layout.html`. A later section (model access, budgets, the
usage report) is one more entry and one more route.

Every page needs an administrator (`AdminViewer`, on the router itself): a user gets
the 403 page. The pages read through py-core; their script (`js/admin.js`) makes every
change through `/api/v1/admin/...`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from py_app.deps import check_id
from py_app.pages.templating import SignedIn, Viewer, ViewerContext, render
from py_core.admin import (
    GetUserUsage,
    ListAudit,
    ListUsers,
    get_user_overview,
    get_user_usage,
    list_audit,
    list_users,
    require_admin,
)
from py_core.database.models import AuditAction, RegistrationMode
from py_core.database.utils import utcnow
from py_core.errors import InvalidInput
from py_core.limits import DEFAULT_INVITE_DAYS, MAX_INVITE_DAYS, MAX_INVITE_NOTE, MAX_QUERY
from py_core.registration import ListInvites, get_registration, invite_state, list_invites


@dataclass(frozen=True, kw_only=True)
class Section:
    key: str
    """What a page passes as `section` to mark its tab."""
    title: str
    """The tab's label."""
    path: str
    """Where the tab leads."""


SECTIONS = (
    Section(key="users", title="Users", path="/admin/users"),
    Section(key="registration", title="Registration", path="/admin/registration"),
    Section(key="models", title="Models", path="/admin/models"),
    Section(key="budgets", title="Budgets", path="/admin/budgets"),
    Section(key="usage", title="Usage", path="/admin/usage"),
    Section(key="audit", title="Audit log", path="/admin/audit"),
)
"""The tabs of /admin, in order."""

ACTIONS = {
    AuditAction.USER_CREATED: "created the account",
    AuditAction.ROLE_CHANGED: "changed the role",
    AuditAction.USER_DISABLED: "disabled the account",
    AuditAction.USER_ENABLED: "re-enabled the account",
    AuditAction.USER_DELETED: "deleted the account",
    AuditAction.PASSWORD_RESET: "reset the password",
    AuditAction.INVITE_CREATED: "created an invite",
    AuditAction.INVITE_REVOKED: "revoked an invite",
    AuditAction.REGISTRATION_CHANGED: "changed registration",
    AuditAction.MODEL_ACCESS_CHANGED: "changed who may use a model",
    AuditAction.BUDGET_CHANGED: "changed a budget",
}
"""How the audit log reads each action."""

RECENT = timedelta(days=30)
"""The recent usage a user's page shows beside the total."""


def require_admin_viewer(viewer: SignedIn, ctx: ViewerContext) -> Viewer:
    require_admin(ctx)
    return viewer


router = APIRouter(
    prefix="/admin", include_in_schema=False, dependencies=[Depends(require_admin_viewer)]
)


def _render(
    request: Request, name: str, viewer: Viewer, section: str, **context: Any
) -> HTMLResponse:
    return render(
        request, name, viewer, sections=SECTIONS, section=section, actions=ACTIONS, **context
    )


@router.get("")
async def admin_home() -> RedirectResponse:
    return RedirectResponse(SECTIONS[0].path, status_code=303)


@router.get("/users")
async def users_page(
    request: Request,
    viewer: SignedIn,
    ctx: ViewerContext,
    q: Annotated[str | None, Query(max_length=MAX_QUERY)] = None,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    error = None
    try:
        page = await list_users(ListUsers(query=q, cursor=cursor), ctx)
        users, next_cursor = page.items, page.next_cursor
    except InvalidInput as exc:
        users, next_cursor, error = [], None, exc.message
    return _render(
        request,
        "admin/users.html",
        viewer,
        "users",
        users=users,
        query=(q or "").strip(),
        next_cursor=next_cursor,
        paged=cursor is not None,
        error=error,
    )


@router.get("/users/{user_id}")
async def user_page(
    request: Request, user_id: str, viewer: SignedIn, ctx: ViewerContext
) -> HTMLResponse:
    overview = await get_user_overview(check_id(user_id, "user"), ctx)
    recent = await get_user_usage(
        GetUserUsage(user_id=overview.user.id, since=utcnow() - RECENT), ctx
    )
    history = await list_audit(ListAudit(target_id=overview.user.id, limit=20), ctx)
    return _render(
        request,
        "admin/user.html",
        viewer,
        "users",
        overview=overview,
        target=overview.user,
        recent_usage=recent,
        recent_days=RECENT.days,
        history=history.items,
        is_self=overview.user.id == viewer.user.id,
    )


@router.get("/registration")
async def registration_page(
    request: Request,
    viewer: SignedIn,
    ctx: ViewerContext,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    error = None
    try:
        page = await list_invites(ListInvites(cursor=cursor), ctx)
        invites, next_cursor = page.items, page.next_cursor
    except InvalidInput as exc:
        invites, next_cursor, error = [], None, exc.message
    now = utcnow()
    return _render(
        request,
        "admin/registration.html",
        viewer,
        "registration",
        registration=await get_registration(ctx),
        modes=list(RegistrationMode),
        invites=[(invite, invite_state(invite, now=now)) for invite in invites],
        next_cursor=next_cursor,
        error=error,
        default_invite_days=DEFAULT_INVITE_DAYS,
        max_invite_days=MAX_INVITE_DAYS,
        max_invite_note=MAX_INVITE_NOTE,
    )


@router.get("/audit")
async def audit_page(
    request: Request,
    viewer: SignedIn,
    ctx: ViewerContext,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    error = None
    try:
        page = await list_audit(ListAudit(cursor=cursor), ctx)
        entries, next_cursor = page.items, page.next_cursor
    except InvalidInput as exc:
        entries, next_cursor, error = [], None, exc.message
    return _render(
        request,
        "admin/audit.html",
        viewer,
        "audit",
        entries=entries,
        next_cursor=next_cursor,
        paged=cursor is not None,
        error=error,
    )
