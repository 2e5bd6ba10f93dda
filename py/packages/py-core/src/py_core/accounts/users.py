"""Creating and finding users."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from py_core.accounts.passwords import hash_password
from py_core.context import Context
from py_core.database.models import User, UserRole, normalise_email
from py_core.errors import Conflict, InvalidInput

# Deliberately loose: one @, something on each side, a dot in the domain. The only
# real check of an address is a mail that arrives.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 128


@dataclass(frozen=True, kw_only=True)
class CreateUser:
    email: str
    """The sign-in address; compared case-insensitively."""
    password: str
    """The plain password; only its argon2id hash is stored."""
    display_name: str
    """The name shown in the UI, 1 to 100 characters."""
    role: UserRole = UserRole.USER
    """`ADMIN` only for accounts made by an operator."""


async def create_user(params: CreateUser, ctx: Context) -> User:
    """Create an account; a taken email is a `Conflict`, bad fields are `InvalidInput`."""
    email = normalise_email(params.email)
    if len(email) > 320 or not _EMAIL.match(email):
        raise InvalidInput("Enter a valid email address.", field="email")
    display_name = params.display_name.strip()
    if not 1 <= len(display_name) <= 100:
        raise InvalidInput("The display name must be 1 to 100 characters.", field="display_name")
    check_password_policy(params.password)
    user = User(
        email=email,
        display_name=display_name,
        password_hash=hash_password(params.password),
        role=params.role,
    )
    try:
        # A savepoint, so a taken email (found by the unique constraint, which also
        # catches two sign-ups racing) leaves the caller's transaction usable.
        async with ctx.db.begin_nested():
            ctx.db.add(user)
    except IntegrityError:
        raise Conflict("An account with this email already exists.") from None
    ctx.logger.info("user created", extra={"user_id": user.id})
    return user


def check_password_policy(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at least {MIN_PASSWORD_LENGTH} characters.", field="password"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(
            f"The password must be at most {MAX_PASSWORD_LENGTH} characters.", field="password"
        )
