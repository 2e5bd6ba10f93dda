"""The pages: sign-in and sign-up, threads, chat, API tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from py_app.pages.templating import SignedIn, ViewerDep, render

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never `//evil.example` or a full URL.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/threads"


@router.get("/")
async def home(viewer: ViewerDep) -> Response:
    return RedirectResponse("/threads" if viewer else "/signin", status_code=303)


@router.get("/signin")
async def signin_page(request: Request, viewer: ViewerDep, next: str | None = None) -> Response:
    if viewer is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return render(request, "signin.html", None, next=_safe_next(next))


@router.get("/signup")
async def signup_page(request: Request, viewer: ViewerDep) -> Response:
    if viewer is not None:
        return RedirectResponse("/threads", status_code=303)
    return render(request, "signup.html", None)


@router.get("/settings/tokens")
async def tokens_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    return render(request, "tokens.html", viewer)
