"""`make admin` and `ADMIN_EMAILS`: the operator's ways to make administrators."""

import pytest

from py_core.accounts import CheckCredentials, check_credentials
from py_core.admin import (
    OPERATOR_ADMIN_EMAILS,
    OPERATOR_COMMAND_LINE,
    ListAudit,
    MakeAdmin,
    list_audit,
    make_admin,
    promote_admin_emails,
)
from py_core.context import Context
from py_core.database.models import AuditAction, User, UserRole
from py_core.errors import InvalidInput


async def test_make_admin_promotes_an_existing_account(ctx: Context, user: User) -> None:
    made = await make_admin(MakeAdmin(email="  ADA@example.com "), ctx)
    assert (made.user.id, made.created, made.password) == (user.id, False, None)
    assert user.role is UserRole.ADMIN
    assert not user.password_change_required
    [entry] = (await list_audit(ListAudit(), ctx.as_user(user))).items
    assert (entry.actor_id, entry.actor_name) == (None, OPERATOR_COMMAND_LINE)
    assert (entry.action, entry.target_id) == (AuditAction.ROLE_CHANGED, user.id)


async def test_make_admin_creates_an_account_with_a_one_time_password(ctx: Context) -> None:
    made = await make_admin(MakeAdmin(email="ops@example.com"), ctx)
    assert made.created
    assert made.password
    assert (made.user.role, made.user.display_name) == (UserRole.ADMIN, "ops")
    assert made.user.password_change_required
    signed_in = await check_credentials(
        CheckCredentials(email="ops@example.com", password=made.password), ctx
    )
    assert signed_in.id == made.user.id
    [entry] = (await list_audit(ListAudit(), ctx.as_user(made.user))).items
    assert entry.action is AuditAction.USER_CREATED
    with pytest.raises(InvalidInput):
        await make_admin(MakeAdmin(email="not an email"), ctx)


async def test_admin_emails_promote_existing_accounts_only(
    ctx: Context, user: User, other_user: User
) -> None:
    missing = await promote_admin_emails(["Ada@Example.com", "nobody@example.com", " "], ctx)
    assert missing == ["nobody@example.com"]
    assert (user.role, other_user.role) == (UserRole.ADMIN, UserRole.USER)
    # Run at every start-up: an administrator already is one, nothing is recorded again.
    assert await promote_admin_emails(["ada@example.com"], ctx) == []
    entries = (await list_audit(ListAudit(), ctx.as_user(user))).items
    assert [e.actor_name for e in entries] == [OPERATOR_ADMIN_EMAILS]
