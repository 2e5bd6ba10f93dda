"""Administration: the accounts as an administrator sees them, the audit log, and how
the operator makes administrators (`make admin`, `ADMIN_EMAILS`).

Every operation here that a request can reach checks `ctx.user.role` itself
(`Forbidden` for a user) and records what it changed in the audit log, in the same
transaction. Registration modes and invites are in `py_core.registration`.
"""

from py_core.admin._access import require_admin
from py_core.admin.audit import (
    OPERATOR_ADMIN_EMAILS,
    OPERATOR_COMMAND_LINE,
    AuditPage,
    ListAudit,
    list_audit,
    record,
)
from py_core.admin.operators import MadeAdmin, MakeAdmin, make_admin, promote_admin_emails
from py_core.admin.users import (
    DeleteUser,
    GetUserUsage,
    ListUsers,
    PasswordReset,
    ResetPassword,
    SetRole,
    SetStatus,
    UserOverview,
    UserPage,
    delete_user,
    get_user_overview,
    get_user_usage,
    list_users,
    reset_password,
    set_role,
    set_status,
)

__all__ = [
    "OPERATOR_ADMIN_EMAILS",
    "OPERATOR_COMMAND_LINE",
    "AuditPage",
    "DeleteUser",
    "GetUserUsage",
    "ListAudit",
    "ListUsers",
    "MadeAdmin",
    "MakeAdmin",
    "PasswordReset",
    "ResetPassword",
    "SetRole",
    "SetStatus",
    "UserOverview",
    "UserPage",
    "delete_user",
    "get_user_overview",
    "get_user_usage",
    "list_audit",
    "list_users",
    "make_admin",
    "promote_admin_emails",
    "record",
    "require_admin",
    "reset_password",
    "set_role",
    "set_status",
]
