"""Sign-up, sign-in (a cookie session), sign-out and the current user."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from py_app.api._attempts import failures_counted, limit_attempts
from py_app.api.schemas import (
    AUTHENTICATED_ERRORS,
    LoginIn,
    LoginOut,
    MeOut,
    RegisterIn,
    UserOut,
    error_responses,
)
from py_app.deps import AuthDep, ContextDep, RuntimeDep, client_address, secure_cookies
from py_app.runtime import Runtime
from py_core.accounts import (
    CheckCredentials,
    StartSession,
    authenticate_session,
    check_credentials,
    end_session,
    start_session,
)
from py_core.context import Context
from py_core.database.models import normalise_email
from py_core.errors import Unauthenticated
from py_core.registration import SignUp, sign_up

router = APIRouter(
    prefix="/api/v1/auth",
    tags=["auth"],
    responses=error_responses(400, 401, 403, 409, 413, 422, 429, 503),
)


@router.post("/register", status_code=201)
async def register(
    body: RegisterIn, request: Request, runtime: RuntimeDep, ctx: ContextDep
) -> UserOut:
    """Under the registration mode in force: 403 `registration_closed`, or (by
    invitation) `invite_required` without an invite and `invite_invalid` for one that
    was used, expired or revoked."""
    settings = runtime.settings
    await limit_attempts(
        runtime, f"register:ip:{client_address(request)}", settings.register_limit_per_ip
    )
    user = await sign_up(
        SignUp(
            email=body.email,
            password=body.password,
            display_name=body.display_name,
            invite=body.invite,
        ),
        ctx,
    )
    return UserOut.of(user)


@router.post("/login")
async def login(
    body: LoginIn, request: Request, response: Response, runtime: RuntimeDep, ctx: ContextDep
) -> LoginOut:
    settings = runtime.settings
    address = client_address(request)
    account = normalise_email(body.email)[:320]
    limits = {
        f"login:failed:ip:{address}": settings.login_limit_per_ip,
        f"login:failed:account:{account}:ip:{address}": settings.login_limit_per_account,
    }
    async with failures_counted(runtime, limits, failed=_wrong_credentials):
        user = await check_credentials(
            CheckCredentials(email=body.email, password=body.password), ctx
        )
    await _end_previous_session(request, runtime, ctx)
    started = await start_session(
        StartSession(
            user_id=user.id,
            user_agent=request.headers.get("User-Agent"),
            address=client_address(request),
            lifetime=settings.session_lifetime,
        ),
        ctx,
    )
    response.set_cookie(
        settings.session_cookie_name,
        started.token,
        max_age=int(settings.session_lifetime.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=secure_cookies(runtime, request),
        path="/",
    )
    return LoginOut(user=UserOut.of(user), csrf_token=started.session.csrf_token)


@router.post("/logout", status_code=204)
async def logout(auth: AuthDep, request: Request, runtime: RuntimeDep, ctx: ContextDep) -> Response:
    if auth.session is not None:
        await end_session(auth.session.id, ctx)
    response = Response(status_code=204)
    response.delete_cookie(
        runtime.settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(runtime, request),
    )
    return response


me_router = APIRouter(prefix="/api/v1", tags=["auth"], responses=AUTHENTICATED_ERRORS)


@me_router.get("/me")
async def me(auth: AuthDep) -> MeOut:
    user = auth.user
    return MeOut(
        id=user.id,
        email=user.email,
        display_name=user.display_name,
        created_at=user.created_at,
        csrf_token=auth.session.csrf_token if auth.session else None,
    )


async def _end_previous_session(request: Request, runtime: Runtime, ctx: Context) -> None:
    """Signing in again replaces the browser's session instead of leaving two alive."""
    cookie = request.cookies.get(runtime.settings.session_cookie_name)
    if not cookie:
        return
    try:
        _user, previous = await authenticate_session(cookie, ctx)
    except Unauthenticated:
        return
    await end_session(previous.id, ctx)


def _wrong_credentials(error: BaseException) -> bool:
    return isinstance(error, Unauthenticated)
