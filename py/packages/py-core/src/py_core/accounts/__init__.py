"""Accounts: registration, passwords, sessions and API tokens."""

from py_core.accounts.users import CreateUser, create_user

__all__ = ["CreateUser", "create_user"]
