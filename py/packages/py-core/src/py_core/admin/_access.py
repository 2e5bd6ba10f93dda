"""Who may administer: the acting user with the `admin` role, checked by every
administrator operation (the app also checks it once per request, before any)."""

from __future__ import annotations

import secrets

from py_core.context import Context
from py_core.database.models import User, UserRole
from py_core.errors import Forbidden, Unauthenticated

ONE_TIME_PASSWORD_BYTES = 12
"""16 URL-safe characters: far past any guessing, short enough to read out."""


def require_admin(ctx: Context) -> User:
    """The acting administrator; `Unauthenticated` for no one, `Forbidden` for a user."""
    user = ctx.user
    if user is None:
        raise Unauthenticated("Sign in, or send an API token.")
    if user.role is not UserRole.ADMIN:
        raise Forbidden("Only administrators may do this.")
    return user


def one_time_password() -> str:
    """A password handed to a person once, which they must change at first sign-in."""
    return secrets.token_urlsafe(ONE_TIME_PASSWORD_BYTES)
