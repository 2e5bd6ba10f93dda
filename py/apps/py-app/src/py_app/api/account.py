"""The signed-in user's own account: password, sessions, token usage, deletion.

Everything acts on the user behind the request (`UserContext`); another user's session
is 404, as if it did not exist.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager

from fastapi import APIRouter, Request, Response
from pydantic import AwareDatetime

from py_app.api._attempts import failures_counted
from py_app.api.budget_schemas import MyUsageOut, PeriodBudgetOut
from py_app.api.schemas import (
    AUTHENTICATED_ERRORS,
    AccountDeleteIn,
    ItemsOut,
    PasswordChangeIn,
    SessionOut,
)
from py_app.deps import AuthDep, RuntimeDep, UserContext, check_id, secure_cookies
from py_app.runtime import Runtime
from py_core.accounts import (
    ChangePassword,
    DeleteAccount,
    RevokeSession,
    change_password,
    delete_account,
    list_sessions,
    revoke_session,
)
from py_core.budgets import budget_of
from py_core.chat.usage import get_usage
from py_core.context import Context
from py_core.errors import InvalidInput

router = APIRouter(prefix="/api/v1/me", tags=["account"], responses=AUTHENTICATED_ERRORS)


@router.post("/password", status_code=204)
async def change_my_password(
    body: PasswordChangeIn, auth: AuthDep, runtime: RuntimeDep, ctx: UserContext
) -> Response:
    """Every other session ends; the one making the change (if any) stays signed in.
    API tokens keep working: revoke them apart. Wrong current passwords are limited like
    failed sign-ins (429), so a stolen session cannot guess the password."""
    async with _password_guesses(runtime, ctx, field="current_password"):
        await change_password(
            ChangePassword(
                current_password=body.current_password,
                new_password=body.new_password,
                keep_session_id=auth.session.id if auth.session else None,
            ),
            ctx,
        )
    return Response(status_code=204)


@router.get("/sessions")
async def get_my_sessions(auth: AuthDep, ctx: UserContext) -> ItemsOut[SessionOut]:
    """The signed-in browsers, newest first; `current` marks the one asking."""
    current_id = auth.session.id if auth.session else None
    sessions = await list_sessions(ctx)
    return ItemsOut(items=[SessionOut.of(s, current_id=current_id) for s in sessions])


@router.delete("/sessions/{session_id}", status_code=204)
async def end_my_session(session_id: str, ctx: UserContext) -> Response:
    """That browser is signed out at once (this one too, when it is the current one)."""
    await revoke_session(RevokeSession(session_id=check_id(session_id, "session")), ctx)
    return Response(status_code=204)


@router.get("/usage")
async def get_my_usage(ctx: UserContext, since: AwareDatetime | None = None) -> MyUsageOut:
    """Tokens of every model call of the user (replies and `/v1` calls), or of those
    since `since` (with its time zone: `2026-12-01T00:00:00Z`); and their budget for
    the current day and month: the limit, what is used and what remains, when it resets."""
    usage = await get_usage(ctx, since=since)
    budgets = await budget_of(ctx.user_id, ctx)
    return MyUsageOut(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        budgets=[PeriodBudgetOut.of(budget) for budget in budgets],
        warning=any(budget.warning for budget in budgets),
    )


@router.delete("", status_code=204)
async def delete_my_account(
    body: AccountDeleteIn, request: Request, runtime: RuntimeDep, ctx: UserContext
) -> Response:
    """The account and all its data (threads, messages, sessions, API tokens, usage) go
    in one transaction; every session and token stops working with it. Wrong passwords
    are limited like failed sign-ins (429)."""
    async with _password_guesses(runtime, ctx, field="password"):
        await delete_account(DeleteAccount(password=body.password), ctx)
    response = Response(status_code=204)
    response.delete_cookie(
        runtime.settings.session_cookie_name,
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure_cookies(runtime, request),
    )
    return response


def _password_guesses(
    runtime: Runtime, ctx: Context, *, field: str
) -> AbstractAsyncContextManager[None]:
    """The user's wrong passwords (an `InvalidInput` on `field`), counted for the
    account across its sessions and tokens."""
    key = f"password:failed:user:{ctx.user_id}"

    def wrong(error: BaseException) -> bool:
        return isinstance(error, InvalidInput) and error.field == field

    return failures_counted(runtime, {key: runtime.settings.login_limit_per_account}, failed=wrong)
