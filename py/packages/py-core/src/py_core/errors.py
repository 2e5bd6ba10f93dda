"""Domain errors. Each carries a stable code; the web layer maps codes to statuses."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar


class DomainError(Exception):
    """A rule of the domain said no. `message` is safe to show to the user."""

    code: ClassVar[str] = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The request is well-formed but breaks a rule (a weak password, a bad email)."""

    code = "invalid_input"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """The thing does not exist, or belongs to someone else (never say which)."""

    code = "not_found"


class Conflict(DomainError):
    """The change clashes with the current state (a taken email, a turn in progress)."""

    code = "conflict"


class Unauthenticated(DomainError):
    """Credentials are missing, wrong, expired or revoked."""

    code = "unauthenticated"


class Forbidden(DomainError):
    """Authenticated, but this account may not do this (e.g. it is disabled)."""

    code = "forbidden"


class QuotaExceeded(DomainError):
    """The acting user's budget for the period is spent; nothing was started."""

    code = "quota_exceeded"

    def __init__(
        self,
        message: str,
        *,
        period: str,
        limit: dict[str, int | str | None],
        resets_at: datetime,
    ) -> None:
        super().__init__(message)
        self.period = period
        """`day` or `month`."""
        self.limit = limit
        """The budget that was reached, as the API shows it (tokens and/or dollars)."""
        self.resets_at = resets_at
        """When the period ends and the budget is whole again."""
