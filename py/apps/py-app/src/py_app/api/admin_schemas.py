"""Bodies of the administrator API (`/api/v1/admin/...`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, model_validator

from py_app.api.schemas import Input, TokenUsageOut
from py_core.admin import UserOverview
from py_core.database.models import (
    AuditAction,
    Invite,
    RegistrationMode,
    UserRole,
    UserStatus,
)
from py_core.limits import DEFAULT_INVITE_DAYS, InviteDays, InviteNote
from py_core.registration import InviteState, RegistrationState, invite_state


class AdminUserOut(BaseModel):
    """An account as an administrator sees it."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    email: str
    display_name: str
    role: UserRole
    status: UserStatus
    """`disabled`: cannot sign in; sessions and API tokens refused; data kept."""
    password_change_required: bool
    """True after a password reset, until they choose a new one."""
    created_at: datetime


class AdminUserDetailOut(AdminUserOut):
    usage: TokenUsageOut
    """Tokens of every model call they made."""
    threads: int
    """Their threads, archived ones too."""
    sessions: int
    """Browsers signed in now."""
    api_tokens: int
    """API tokens not revoked."""

    @classmethod
    def of(cls, overview: UserOverview) -> AdminUserDetailOut:
        return cls(
            **AdminUserOut.model_validate(overview.user).model_dump(),
            usage=TokenUsageOut(
                input_tokens=overview.usage.input_tokens,
                output_tokens=overview.usage.output_tokens,
            ),
            threads=overview.threads,
            sessions=overview.sessions,
            api_tokens=overview.api_tokens,
        )


class UserPatchIn(Input):
    role: UserRole | None = None
    """`admin` or `user`."""
    status: UserStatus | None = None
    """`disabled` signs them out everywhere at once; `active` lets them back in."""

    @model_validator(mode="after")
    def _something(self) -> UserPatchIn:
        if self.role is None and self.status is None:
            raise ValueError("send `role`, `status` or both")
        return self


class PasswordResetOut(BaseModel):
    user: AdminUserOut
    one_time_password: str
    """Shown this once: give it to the person; they choose a new one when they sign in."""


class RegistrationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mode: RegistrationMode
    """In force now: `open`, `invite` or `closed`."""
    configured: RegistrationMode
    """`REGISTRATION` from the configuration, in force unless an administrator chose."""
    chosen: bool
    """True while an administrator's choice overrides the configuration."""
    changed_at: datetime | None

    @classmethod
    def of(cls, state: RegistrationState) -> RegistrationOut:
        return cls.model_validate(state)


class RegistrationIn(Input):
    mode: RegistrationMode | None
    """The mode from now on; `null` goes back to the configured one."""


class InviteIn(Input):
    note: InviteNote | None = None
    """Whom it is for; shown in the list of invites."""
    days: InviteDays = DEFAULT_INVITE_DAYS
    """How long the link works."""


class InviteOut(BaseModel):
    id: str
    note: str | None
    state: InviteState
    """`pending` (works), `used`, `expired` or `revoked`."""
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by_id: str | None
    """The account made with it, while that account exists."""

    @classmethod
    def of(cls, invite: Invite) -> InviteOut:
        return cls(
            id=invite.id,
            note=invite.note,
            state=invite_state(invite),
            created_at=invite.created_at,
            expires_at=invite.expires_at,
            used_at=invite.used_at,
            used_by_id=invite.used_by_id,
        )


class InviteCreatedOut(InviteOut):
    url: str
    """The link to send: it opens the sign-up page with the invite. Shown this once."""


class AuditOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    created_at: datetime
    actor_id: str | None
    """The administrator; null when the operator acted (`make admin`, `ADMIN_EMAILS`)."""
    actor_name: str
    """Their email then, or `command line` / `ADMIN_EMAILS`."""
    action: AuditAction
    target_id: str | None
    target_name: str | None
    """The target user's email then (or an invite's note)."""
    details: dict[str, Any]
