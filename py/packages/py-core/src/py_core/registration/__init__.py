"""Registration: who may sign up (open, by invitation, closed) and invite links.

Anyone may read the mode and sign up under it; changing the mode and managing invites
is for administrators (checked on `ctx.user.role`) and lands in the audit log.
"""

from py_core.registration._errors import InviteInvalid, InviteRequired, RegistrationClosed
from py_core.registration.invites import (
    CreatedInvite,
    CreateInvite,
    InvitePage,
    InviteState,
    ListInvites,
    RevokeInvite,
    create_invite,
    find_invite,
    invite_state,
    list_invites,
    revoke_invite,
)
from py_core.registration.mode import (
    RegistrationState,
    SetRegistration,
    get_registration,
    set_registration,
)
from py_core.registration.signup import SignUp, sign_up

__all__ = [
    "CreateInvite",
    "CreatedInvite",
    "InviteInvalid",
    "InvitePage",
    "InviteRequired",
    "InviteState",
    "ListInvites",
    "RegistrationClosed",
    "RegistrationState",
    "RevokeInvite",
    "SetRegistration",
    "SignUp",
    "create_invite",
    "find_invite",
    "get_registration",
    "invite_state",
    "list_invites",
    "revoke_invite",
    "set_registration",
    "sign_up",
]
