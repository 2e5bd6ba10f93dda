"""Why a sign-up is refused: each its own code, so a client can tell the person what to
do (ask for an invite, ask for a new one)."""

from __future__ import annotations

from py_core.errors import Forbidden


class RegistrationClosed(Forbidden):
    """No one may sign up now."""

    code = "registration_closed"


class InviteRequired(Forbidden):
    """Sign-up is by invitation and none was given."""

    code = "invite_required"


class InviteInvalid(Forbidden):
    """The invite was used, expired, revoked, or never existed."""

    code = "invite_invalid"
