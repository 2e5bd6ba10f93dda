"""Accounts: registration, passwords, sessions and API tokens."""

from py_core.accounts.sessions import (
    RevokeSession,
    StartedSession,
    StartSession,
    authenticate_session,
    end_session,
    list_sessions,
    revoke_session,
    start_session,
)
from py_core.accounts.tokens import (
    CreateApiToken,
    CreatedApiToken,
    RevokeApiToken,
    authenticate_api_token,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)
from py_core.accounts.users import (
    ChangePassword,
    CheckCredentials,
    CreateUser,
    DeleteAccount,
    change_password,
    check_credentials,
    create_user,
    delete_account,
    get_user,
)

__all__ = [
    "ChangePassword",
    "CheckCredentials",
    "CreateApiToken",
    "CreateUser",
    "CreatedApiToken",
    "DeleteAccount",
    "RevokeApiToken",
    "RevokeSession",
    "StartSession",
    "StartedSession",
    "authenticate_api_token",
    "authenticate_session",
    "change_password",
    "check_credentials",
    "create_api_token",
    "create_user",
    "delete_account",
    "end_session",
    "get_user",
    "list_api_tokens",
    "list_sessions",
    "revoke_api_token",
    "revoke_session",
    "start_session",
]
