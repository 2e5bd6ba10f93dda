"""The administrator API: accounts, registration and invites, the audit log.

Every route needs an administrator (`AdminContext`, on the router itself, so a route
cannot forget it): a user gets 403, no one 401. The py-core operations check the role
again and write the audit log.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import AwareDatetime

from py_app.api.admin_schemas import (
    AdminUserDetailOut,
    AdminUserOut,
    AuditOut,
    InviteCreatedOut,
    InviteIn,
    InviteOut,
    PasswordResetOut,
    RegistrationIn,
    RegistrationOut,
    UserPatchIn,
)
from py_app.api.schemas import AUTHENTICATED_ERRORS, PageOut, TokenUsageOut, error_responses
from py_app.deps import AdminContext, check_id, get_admin_context
from py_core.admin import (
    DeleteUser,
    GetUserUsage,
    ListAudit,
    ListUsers,
    ResetPassword,
    SetRole,
    SetStatus,
    delete_user,
    get_user_overview,
    get_user_usage,
    list_audit,
    list_users,
    reset_password,
    set_role,
    set_status,
)
from py_core.limits import MAX_QUERY
from py_core.registration import (
    CreateInvite,
    ListInvites,
    RevokeInvite,
    SetRegistration,
    create_invite,
    get_registration,
    list_invites,
    revoke_invite,
    set_registration,
)

router = APIRouter(
    prefix="/api/v1/admin",
    tags=["admin"],
    dependencies=[Depends(get_admin_context)],
    responses={**AUTHENTICATED_ERRORS, **error_responses(409)},
)

Limit = Annotated[int, Query(ge=1, le=100)]
Cursor = Annotated[str | None, Query(max_length=500)]


@router.get("/users")
async def get_users(
    ctx: AdminContext,
    q: Annotated[str | None, Query(max_length=MAX_QUERY, description="In email or name")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[AdminUserOut]:
    """Newest accounts first; with `q`, those whose email or name holds it (any case)."""
    page = await list_users(ListUsers(query=q, cursor=cursor, limit=limit), ctx)
    return PageOut(
        items=[AdminUserOut.model_validate(u) for u in page.items], next_cursor=page.next_cursor
    )


@router.get("/users/{user_id}")
async def get_user(user_id: str, ctx: AdminContext) -> AdminUserDetailOut:
    return AdminUserDetailOut.of(await get_user_overview(check_id(user_id, "user"), ctx))


@router.get("/users/{user_id}/usage")
async def get_usage_of_user(
    user_id: str, ctx: AdminContext, since: AwareDatetime | None = None
) -> TokenUsageOut:
    """Their tokens over every model call, or those since `since` (with its time zone)."""
    usage = await get_user_usage(GetUserUsage(user_id=check_id(user_id, "user"), since=since), ctx)
    return TokenUsageOut(input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)


@router.patch("/users/{user_id}")
async def patch_user(user_id: str, body: UserPatchIn, ctx: AdminContext) -> AdminUserOut:
    """Change the role, or disable (every session and API token stops at once; their
    data stays) and re-enable. Not your own account: 409."""
    user_id = check_id(user_id, "user")
    user = None
    if body.role is not None:
        user = await set_role(SetRole(user_id=user_id, role=body.role), ctx)
    if body.status is not None:
        user = await set_status(SetStatus(user_id=user_id, status=body.status), ctx)
    assert user is not None  # the body's validator wants one of them
    return AdminUserOut.model_validate(user)


@router.delete("/users/{user_id}", status_code=204)
async def remove_user(user_id: str, ctx: AdminContext) -> Response:
    """The account with its threads, messages, sessions, API tokens and usage, in one
    transaction. Not your own account here: 409."""
    await delete_user(DeleteUser(user_id=check_id(user_id, "user")), ctx)
    return Response(status_code=204)


@router.post("/users/{user_id}/password-reset")
async def reset_user_password(user_id: str, ctx: AdminContext) -> PasswordResetOut:
    """A one-time password (shown once) replaces theirs; every session ends, API tokens
    keep working, and their next sign-in must choose a new password."""
    reset = await reset_password(ResetPassword(user_id=check_id(user_id, "user")), ctx)
    return PasswordResetOut(
        user=AdminUserOut.model_validate(reset.user), one_time_password=reset.password
    )


@router.get("/registration")
async def get_registration_mode(ctx: AdminContext) -> RegistrationOut:
    return RegistrationOut.of(await get_registration(ctx))


@router.put("/registration")
async def put_registration_mode(body: RegistrationIn, ctx: AdminContext) -> RegistrationOut:
    """`open`, `invite` or `closed` for every instance at once; `null` goes back to the
    configured `REGISTRATION`."""
    return RegistrationOut.of(await set_registration(SetRegistration(mode=body.mode), ctx))


@router.get("/invites")
async def get_invites(
    ctx: AdminContext, cursor: Cursor = None, limit: Limit = 50
) -> PageOut[InviteOut]:
    """Newest first, in every state."""
    page = await list_invites(ListInvites(cursor=cursor, limit=limit), ctx)
    return PageOut(items=[InviteOut.of(i) for i in page.items], next_cursor=page.next_cursor)


@router.post("/invites", status_code=201)
async def post_invite(body: InviteIn, request: Request, ctx: AdminContext) -> InviteCreatedOut:
    """A single-use sign-up link that works for `days` days; its `url` is shown once."""
    created = await create_invite(CreateInvite(note=body.note, days=body.days), ctx)
    url = str(request.url_for("signup_page").include_query_params(invite=created.code))
    return InviteCreatedOut(**InviteOut.of(created.invite).model_dump(), url=url)


@router.delete("/invites/{invite_id}", status_code=204)
async def delete_invite(invite_id: str, ctx: AdminContext) -> Response:
    """The link stops working at once (a used one is 404)."""
    await revoke_invite(RevokeInvite(invite_id=check_id(invite_id, "invite")), ctx)
    return Response(status_code=204)


@router.get("/audit")
async def get_audit(
    ctx: AdminContext,
    target_id: Annotated[str | None, Query(max_length=64)] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> PageOut[AuditOut]:
    """Every administrator action, newest first; `target_id` for one user's."""
    page = await list_audit(ListAudit(target_id=target_id, cursor=cursor, limit=limit), ctx)
    return PageOut(
        items=[AuditOut.model_validate(e) for e in page.items], next_cursor=page.next_cursor
    )
