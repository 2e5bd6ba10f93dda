"""The Jinja2 environment of the pages, and who is signed in for a page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from py_app.deps import ContextDep, RuntimeDep, client_address
from py_app.pages.markdown import render_markdown
from py_core.accounts import authenticate_session
from py_core.context import Context
from py_core.database.models import User
from py_core.errors import Unauthenticated
from py_core.limits import (
    MAX_CONTENT,
    MAX_DISPLAY_NAME,
    MAX_EMAIL,
    MAX_PASSWORD,
    MAX_QUERY,
    MAX_TITLE,
    MAX_TOKEN_NAME,
    MIN_PASSWORD,
)

TEMPLATES_DIR = Path(__file__).resolve().parents[3] / "templates"
templates = Jinja2Templates(directory=TEMPLATES_DIR)
templates.env.filters["markdown"] = render_markdown
# The inputs' maxlength / minlength: py-core's limits, so a page never lets someone type
# what the server then refuses.
templates.env.globals.update(
    max_content=MAX_CONTENT,
    max_display_name=MAX_DISPLAY_NAME,
    max_email=MAX_EMAIL,
    max_password=MAX_PASSWORD,
    max_query=MAX_QUERY,
    max_title=MAX_TITLE,
    max_token_name=MAX_TOKEN_NAME,
    min_password=MIN_PASSWORD,
)


@dataclass(frozen=True, kw_only=True)
class Viewer:
    """The signed-in person looking at a page."""

    user: User
    """Who they are."""
    csrf_token: str
    """Put in the page for its scripts' unsafe requests."""


async def get_viewer(request: Request, runtime: RuntimeDep, ctx: ContextDep) -> Viewer | None:
    cookie = request.cookies.get(runtime.settings.session_cookie_name)
    if not cookie:
        return None
    try:
        user, session = await authenticate_session(
            cookie, ctx, lifetime=runtime.settings.session_lifetime, address=client_address(request)
        )
    except Unauthenticated:
        return None
    return Viewer(user=user, csrf_token=session.csrf_token)


ViewerDep = Annotated[Viewer | None, Depends(get_viewer)]


class SignInRequired(Exception):
    """Raised by pages that need a viewer; answered with a redirect to the sign-in page."""


class PasswordChangeRequired(Exception):
    """Raised by pages while the viewer signed in with a one-time password; answered
    with a redirect to the settings page, where they choose their own."""


PASSWORD_CHANGE_PAGE = "/settings"
"""The one page open to a viewer who must choose a new password."""


def require_viewer(request: Request, viewer: ViewerDep) -> Viewer:
    if viewer is None:
        raise SignInRequired
    if viewer.user.password_change_required and request.url.path != PASSWORD_CHANGE_PAGE:
        raise PasswordChangeRequired
    return viewer


SignedIn = Annotated[Viewer, Depends(require_viewer)]


def get_viewer_context(viewer: SignedIn, ctx: ContextDep) -> Context:
    """The request's unit of work, acting for the signed-in viewer."""
    return ctx.as_user(viewer.user)


ViewerContext = Annotated[Context, Depends(get_viewer_context)]


def render(
    request: Request, name: str, viewer: Viewer | None, status_code: int = 200, **context: Any
) -> HTMLResponse:
    return templates.TemplateResponse(
        request, name, {"viewer": viewer, **context}, status_code=status_code
    )


async def password_change_redirect(_request: Request, _exc: Exception) -> RedirectResponse:
    return RedirectResponse(f"{PASSWORD_CHANGE_PAGE}#password-heading", status_code=303)


async def sign_in_redirect(request: Request, _exc: Exception) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


_TITLES = {404: "Not found", 403: "Not allowed", 401: "Sign in", 409: "Not now", 422: "Not valid"}


def html_error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """Errors of page requests, as a page (API requests get JSON)."""
    if status == 404:
        message = "There is nothing here, or it is not yours to see."
    title = _TITLES.get(status, "Something went wrong")
    return render(request, "error.html", None, status_code=status, title=title, message=message)
