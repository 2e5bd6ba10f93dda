"""Sign-up under the registration mode in force."""

from __future__ import annotations

from dataclasses import dataclass

from py_core.accounts.users import CreateUser, create_user
from py_core.context import Context
from py_core.database.models import RegistrationMode, User
from py_core.registration._errors import InviteRequired, RegistrationClosed
from py_core.registration.invites import find_invite, use_invite
from py_core.registration.mode import get_registration


@dataclass(frozen=True, kw_only=True)
class SignUp:
    email: str
    """The sign-in address."""
    password: str
    """The plain password, checked against the policy."""
    display_name: str
    """The name shown in the UI."""
    invite: str | None = None
    """The code of an invite link; needed when sign-up is by invitation (ignored when
    it is open)."""


async def sign_up(params: SignUp, ctx: Context) -> User:
    """A new account, if the mode allows it: `RegistrationClosed`, `InviteRequired` or
    `InviteInvalid` otherwise, before the password is even hashed."""
    state = await get_registration(ctx)
    if state.mode is RegistrationMode.CLOSED:
        raise RegistrationClosed("Registration is closed. Ask an administrator for an account.")
    invite = None
    if state.mode is RegistrationMode.INVITE:
        if not params.invite:
            raise InviteRequired("Sign-up is by invitation: open the invite link you were sent.")
        invite = await find_invite(params.invite, ctx)
    user = await create_user(
        CreateUser(email=params.email, password=params.password, display_name=params.display_name),
        ctx,
    )
    if invite is not None:
        await use_invite(invite, user, ctx)
    return user
