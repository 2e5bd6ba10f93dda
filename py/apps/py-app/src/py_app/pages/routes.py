"""The pages: sign-in and sign-up, threads, chat, API tokens.

Pages read through the same py-core operations as the API; every change a page makes
goes through the JSON API from its script (with the CSRF header).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from py_app.deps import ContextDep, RuntimeDep, check_id
from py_app.pages import assets
from py_app.pages.sidebar import SidebarDep
from py_app.pages.templating import SignedIn, ViewerContext, ViewerDep, render
from py_core.budgets import budget_of, budget_warning
from py_core.chat import (
    ListMessages,
    ListThreads,
    SearchThreads,
    SwitchBranch,
    get_message,
    get_message_versions,
    get_thread,
    list_messages,
    list_threads,
    search_threads,
    switch_branch,
)
from py_core.chat.model_access import allowed_models, model_forbidden_message
from py_core.database.models import RegistrationMode, ThreadStatus
from py_core.database.utils import utcnow
from py_core.errors import InvalidInput
from py_core.registration import InviteInvalid, find_invite, get_registration

router = APIRouter(include_in_schema=False)
router.include_router(assets.router)

MESSAGES_PER_PAGE = 100


def _safe_next(target: str | None) -> str:
    # Only paths on this site: never `//evil.example`, `/\evil.example` (browsers read
    # it as `//`) or a full URL. Browsers also drop tabs and newlines from a URL before
    # reading it (`/\t/evil.example` is `//evil.example`), so a target holding any
    # control character, whitespace or backslash is refused outright.
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(char == "\\" or char.isspace() or not char.isprintable() for char in target)
    ):
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
async def signup_page(
    request: Request,
    viewer: ViewerDep,
    ctx: ContextDep,
    invite: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The form when the registration mode lets this visitor sign up (open, or by
    invitation with a working invite link); otherwise the reason, and no form."""
    if viewer is not None:
        return RedirectResponse("/threads", status_code=303)
    registration = await get_registration(ctx)
    refusal = None
    if registration.mode is RegistrationMode.CLOSED:
        refusal = "Registration is closed. Ask an administrator for an account."
    elif registration.mode is RegistrationMode.INVITE:
        if not invite:
            refusal = "Sign-up is by invitation: open the invite link you were sent."
        else:
            try:
                await find_invite(invite, ctx)
            except InviteInvalid as exc:
                refusal = exc.message
    return render(
        request,
        "signup.html",
        None,
        mode=registration.mode,
        refusal=refusal,
        invite=invite if registration.mode is RegistrationMode.INVITE else None,
    )


@router.get("/threads")
async def threads_page(
    request: Request,
    viewer: SignedIn,
    ctx: ViewerContext,
    runtime: RuntimeDep,
    sidebar: SidebarDep,
    q: Annotated[str | None, Query(max_length=200)] = None,
    archived: bool = False,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
) -> HTMLResponse:
    error = None
    next_cursor = None
    matched: dict[str, str] = {}
    query = (q or "").strip()
    if query:
        try:
            hits = await search_threads(SearchThreads(query=query), ctx)
            threads = [hit.thread for hit in hits]
            # Opening a result shows the branch its text is on.
            matched = {hit.thread.id: hit.message_id for hit in hits if hit.message_id}
        except InvalidInput as exc:
            threads, error = [], exc.message
    else:
        status = ThreadStatus.ARCHIVED if archived else ThreadStatus.ACTIVE
        try:
            page = await list_threads(ListThreads(status=status, cursor=cursor), ctx)
            threads, next_cursor = page.items, page.next_cursor
        except InvalidInput as exc:
            threads, error = [], exc.message
    return render(
        request,
        "threads.html",
        viewer,
        sidebar=sidebar,
        threads=threads,
        matched=matched,
        query=query,
        archived=archived,
        next_cursor=next_cursor,
        error=error,
        models=await allowed_models(ctx),
        default_model=runtime.catalog.default_id,
        demo_only=runtime.catalog.is_demo,
    )


@router.get("/threads/{thread_id}")
async def chat_page(
    request: Request,
    thread_id: str,
    viewer: SignedIn,
    ctx: ViewerContext,
    runtime: RuntimeDep,
    sidebar: SidebarDep,
    before: Annotated[str | None, Query(max_length=500)] = None,
    message: Annotated[str | None, Query(max_length=64)] = None,
) -> HTMLResponse:
    """The chat; with `message` (a search result), the branch through that message is
    made the one the thread shows first."""
    thread = await get_thread(check_id(thread_id, "thread"), ctx)
    if message is not None:
        thread = await switch_branch(
            SwitchBranch(thread_id=thread.id, message_id=check_id(message, "message")), ctx
        )
    page = await list_messages(
        ListMessages(thread_id=thread.id, limit=MESSAGES_PER_PAGE, before=before), ctx
    )
    models = await allowed_models(ctx)
    thread_model = runtime.catalog.model_for(thread.model_id)
    return render(
        request,
        "chat.html",
        viewer,
        sidebar=sidebar,
        thread=thread,
        messages=page.items,
        siblings=page.siblings,
        rendered_at=utcnow().isoformat(),
        older=page.next_cursor,
        models=models,
        # A thread on a model the user may no longer use says so, instead of failing
        # at the next message.
        model_blocked=(None if thread_model in models else model_forbidden_message(thread_model)),
        blocked_model=thread_model,
        budget_warning=budget_warning(await budget_of(ctx.user_id, ctx)),
        default_model=runtime.catalog.default_id,
        demo_only=runtime.catalog.is_demo,
    )


@router.get("/threads/{thread_id}/messages/{message_id}")
async def message_fragment(
    request: Request, thread_id: str, message_id: str, viewer: SignedIn, ctx: ViewerContext
) -> HTMLResponse:
    """One message as the chat page shows it: the page swaps a finished reply's live
    plain text for this server-rendered (sanitised Markdown) version."""
    thread_id, message_id = check_id(thread_id, "thread"), check_id(message_id, "message")
    message = await get_message(thread_id, message_id, ctx)
    versions = await get_message_versions(thread_id, message_id, ctx)
    return render(
        request, "_message.html", viewer, message=message, siblings={message.id: versions}
    )


@router.get("/settings/tokens")
async def tokens_page(request: Request, viewer: SignedIn) -> HTMLResponse:
    return render(request, "tokens.html", viewer)
