"""Registration modes and invite links."""

from dataclasses import replace
from datetime import timedelta

import pytest

from py_core.admin import ListAudit, list_audit
from py_core.context import Context
from py_core.database.models import AuditAction, Invite, RegistrationMode, User
from py_core.errors import Forbidden, InvalidInput, NotFound
from py_core.registration import (
    CreateInvite,
    InviteInvalid,
    InviteRequired,
    ListInvites,
    RegistrationClosed,
    RevokeInvite,
    SetRegistration,
    SignUp,
    create_invite,
    get_registration,
    invite_state,
    list_invites,
    revoke_invite,
    set_registration,
    sign_up,
)

from .conftest import PASSWORD


def _signup(email: str, invite: str | None = None) -> SignUp:
    return SignUp(email=email, password=PASSWORD, display_name="New", invite=invite)


async def test_the_configured_mode_holds_until_an_admin_chooses(
    ctx: Context, as_admin: Context
) -> None:
    # Both contexts as the app builds them with REGISTRATION=invite.
    invite_only = replace(ctx, registration=RegistrationMode.INVITE)
    admin = replace(as_admin, registration=RegistrationMode.INVITE)
    state = await get_registration(invite_only)
    assert (state.mode, state.configured, state.chosen) == (RegistrationMode.INVITE,) * 2 + (False,)

    await set_registration(SetRegistration(mode=RegistrationMode.CLOSED), admin)
    state = await get_registration(invite_only)
    assert (state.mode, state.configured, state.chosen) == (
        RegistrationMode.CLOSED,
        RegistrationMode.INVITE,
        True,
    )
    await set_registration(SetRegistration(mode=None), admin)  # back to the configuration
    assert (await get_registration(invite_only)).mode is RegistrationMode.INVITE
    entries = (await list_audit(ListAudit(), admin)).items
    assert [e.action for e in entries] == [AuditAction.REGISTRATION_CHANGED] * 2
    assert [e.details for e in entries] == [
        {"from": "closed", "to": "invite (the configuration)"},
        {"from": "invite", "to": "closed"},
    ]


async def test_a_user_cannot_change_registration_or_invite(ctx: Context, user: User) -> None:
    me = ctx.as_user(user)
    with pytest.raises(Forbidden):
        await set_registration(SetRegistration(mode=RegistrationMode.OPEN), me)
    with pytest.raises(Forbidden):
        await create_invite(CreateInvite(), me)
    with pytest.raises(Forbidden):
        await list_invites(ListInvites(), me)


async def test_closed_refuses_everyone(ctx: Context, as_admin: Context) -> None:
    await set_registration(SetRegistration(mode=RegistrationMode.CLOSED), as_admin)
    created = await create_invite(CreateInvite(), as_admin)
    with pytest.raises(RegistrationClosed):
        await sign_up(_signup("new@example.com"), ctx)
    with pytest.raises(RegistrationClosed):  # closed is closed, invite or not
        await sign_up(_signup("new@example.com", created.code), ctx)


async def test_an_invite_works_once(ctx: Context, as_admin: Context) -> None:
    await set_registration(SetRegistration(mode=RegistrationMode.INVITE), as_admin)
    created = await create_invite(CreateInvite(note="for Bob", days=3), as_admin)
    with pytest.raises(InviteRequired):
        await sign_up(_signup("bob@example.com"), ctx)

    bob = await sign_up(_signup("bob@example.com", created.code), ctx)
    assert (created.invite.used_by_id, invite_state(created.invite)) == (bob.id, "used")
    with pytest.raises(InviteInvalid, match="used already"):
        await sign_up(_signup("eve@example.com", created.code), ctx)
    with pytest.raises(InviteInvalid, match="not valid"):
        await sign_up(_signup("eve@example.com", "made-up"), ctx)
    [listed] = (await list_invites(ListInvites(), as_admin)).items
    assert (listed.id, listed.note) == (created.invite.id, "for Bob")


async def test_an_expired_or_revoked_invite_does_not_work(ctx: Context, as_admin: Context) -> None:
    await set_registration(SetRegistration(mode=RegistrationMode.INVITE), as_admin)
    expired = await create_invite(CreateInvite(), as_admin)
    expired.invite.expires_at -= timedelta(days=8)
    await ctx.db.flush()
    with pytest.raises(InviteInvalid, match="expired"):
        await sign_up(_signup("late@example.com", expired.code), ctx)
    assert invite_state(expired.invite) == "expired"

    revoked = await create_invite(CreateInvite(), as_admin)
    await revoke_invite(RevokeInvite(invite_id=revoked.invite.id), as_admin)
    with pytest.raises(InviteInvalid, match="not valid"):
        await sign_up(_signup("late@example.com", revoked.code), ctx)
    with pytest.raises(NotFound):
        await revoke_invite(RevokeInvite(invite_id="nothing"), as_admin)


async def test_invite_bounds(as_admin: Context) -> None:
    for bad in (CreateInvite(days=0), CreateInvite(days=31), CreateInvite(note="x" * 101)):
        with pytest.raises(InvalidInput):
            await create_invite(bad, as_admin)


async def test_open_ignores_invites(ctx: Context, as_admin: Context) -> None:
    created = await create_invite(CreateInvite(), as_admin)
    await sign_up(_signup("free@example.com"), ctx)
    await sign_up(_signup("free2@example.com", created.code), ctx)
    invite = await ctx.db.get(Invite, created.invite.id)
    assert invite is not None
    assert invite.used_at is None
