"""Dependencies as `Annotated` aliases, declared once: handlers read like their signature.

async def get_me(user: CurrentUser) -> UserOut: ...
"""

from __future__ import annotations

import hmac
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from py_app.errors import ApiError
from py_app.runtime import Runtime
from py_core.accounts import authenticate_api_token, authenticate_session
from py_core.admin import require_admin
from py_core.chat import get_thread
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import Thread, User, UserSession
from py_core.errors import NotFound, Unauthenticated

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "X-CSRF-Token"


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """The request's unit of work, committed when the handler returns (before the
    response is sent, so a client that got 201 finds the row on its next request)."""
    async with session_scope(runtime.sessions) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


def get_context(runtime: RuntimeDep, session: SessionDep) -> Context:
    return runtime.context(session)


ContextDep = Annotated[Context, Depends(get_context)]


@dataclass(frozen=True, kw_only=True)
class Auth:
    user: User
    """Who is acting."""
    via: Literal["cookie", "token"]
    """How they proved it."""
    session: UserSession | None = None
    """The browser session, for cookie authentication."""


async def get_auth(request: Request, runtime: RuntimeDep, ctx: ContextDep) -> Auth:
    """A Bearer API token, else the session cookie (with its CSRF header on unsafe
    methods). 401 when neither is valid."""
    authorization = request.headers.get("Authorization")
    if authorization is not None:
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise Unauthenticated("Use `Authorization: Bearer <api token>`.")
        user = await authenticate_api_token(secret.strip(), ctx)
        return Auth(user=user, via="token")
    cookie = request.cookies.get(runtime.settings.session_cookie_name)
    if not cookie:
        raise Unauthenticated("Sign in, or send an API token.")
    user, session = await authenticate_session(
        cookie, ctx, lifetime=runtime.settings.session_lifetime, address=client_address(request)
    )
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), session.csrf_token.encode()):
            raise ApiError(
                403, "csrf_failed", f"Missing or wrong {CSRF_HEADER} header for this session."
            )
    return Auth(user=user, session=session, via="cookie")


AuthDep = Annotated[Auth, Depends(get_auth)]


def get_current_user(auth: AuthDep) -> User:
    return auth.user


CurrentUser = Annotated[User, Depends(get_current_user)]


def get_user_context(user: CurrentUser, ctx: ContextDep) -> Context:
    """The request's unit of work, acting for the authenticated user."""
    return ctx.as_user(user)


UserContext = Annotated[Context, Depends(get_user_context)]


def client_address(request: Request) -> str:
    """The client's address (uvicorn resolves X-Forwarded-For from trusted proxies)."""
    return request.client.host if request.client else "unknown"


def secure_cookies(runtime: Runtime, request: Request) -> bool:
    """Whether the session cookie is set (and cleared) with `Secure` (`COOKIE_SECURE`)."""
    mode = runtime.settings.cookie_secure
    if mode == "auto":
        return request.url.scheme == "https"
    return mode == "always"


_ID = re.compile(r"^[0-9a-fA-F-]{1,64}$")


def check_id(value: str, what: str) -> str:
    """An id from a path: anything that cannot be an id is simply not found."""
    if not _ID.match(value):
        raise NotFound(f"No such {what}.")
    return value


async def get_owned_thread(thread_id: str, ctx: UserContext) -> Thread:
    """The path's thread if the user owns it; 404 otherwise (the same for both)."""
    return await get_thread(check_id(thread_id, "thread"), ctx)


OwnedThread = Annotated[Thread, Depends(get_owned_thread)]


def get_admin_context(ctx: UserContext) -> Context:
    """The request's unit of work, acting for an administrator; 403 for anyone else.
    The admin routers depend on it as a whole, so no route of theirs can forget it."""
    require_admin(ctx)
    return ctx


AdminContext = Annotated[Context, Depends(get_admin_context)]
