"""How the operator makes administrators, outside any web request: `make admin` and
`ADMIN_EMAILS`. These act for no one (`ctx.user` is None); no route calls them, so no
web request can make the first administrator."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from py_core.accounts.users import CreateUser, create_user
from py_core.admin._access import one_time_password
from py_core.admin.audit import OPERATOR_ADMIN_EMAILS, OPERATOR_COMMAND_LINE, record
from py_core.context import Context
from py_core.database.models import AuditAction, User, UserRole, normalise_email


@dataclass(frozen=True, kw_only=True)
class MakeAdmin:
    email: str
    """The account to promote, or to create when there is none."""
    display_name: str | None = None
    """The name of a created account; the email's local part when None."""


@dataclass(frozen=True, kw_only=True)
class MadeAdmin:
    user: User
    """The administrator."""
    created: bool
    """True when the account did not exist before."""
    password: str | None
    """A created account's one-time password (to change at first sign-in); None when
    an existing account was promoted (its password stays)."""


async def make_admin(params: MakeAdmin, ctx: Context) -> MadeAdmin:
    """Promote the account with this email, or create it with a one-time password."""
    email = normalise_email(params.email)
    user = await ctx.db.scalar(select(User).where(User.email == email))
    if user is not None:
        _promote(user, ctx, operator=OPERATOR_COMMAND_LINE)
        return MadeAdmin(user=user, created=False, password=None)
    password = one_time_password()
    user = await create_user(
        CreateUser(
            email=email,
            password=password,
            display_name=params.display_name or email.partition("@")[0],
            role=UserRole.ADMIN,
        ),
        ctx,
    )
    user.password_change_required = True
    record(
        ctx,
        AuditAction.USER_CREATED,
        target=user,
        details={"role": str(UserRole.ADMIN)},
        operator=OPERATOR_COMMAND_LINE,
    )
    return MadeAdmin(user=user, created=True, password=password)


async def promote_admin_emails(emails: Iterable[str], ctx: Context) -> list[str]:
    """Make the existing accounts with these emails administrators (`ADMIN_EMAILS`, at
    start-up). An email with no account yet is returned and left alone: making whoever
    signs up with it an administrator would let a web request make one."""
    wanted = {normalise_email(email) for email in emails if email.strip()}
    if not wanted:
        return []
    users = list(await ctx.db.scalars(select(User).where(User.email.in_(wanted))))
    for user in users:
        _promote(user, ctx, operator=OPERATOR_ADMIN_EMAILS)
    return sorted(wanted - {user.email for user in users})


def _promote(user: User, ctx: Context, *, operator: str) -> None:
    if user.role is UserRole.ADMIN:
        return
    record(
        ctx,
        AuditAction.ROLE_CHANGED,
        target=user,
        details={"from": str(user.role), "to": str(UserRole.ADMIN)},
        operator=operator,
    )
    user.role = UserRole.ADMIN
