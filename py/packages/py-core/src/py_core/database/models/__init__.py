"""Every ORM model; importing this module registers them all on `Base.metadata`."""

from py_core.database.models.admin import (
    AuditAction,
    AuditEntry,
    Invite,
    RegistrationMode,
    SiteSettings,
)
from py_core.database.models.auth import ApiToken, UserSession
from py_core.database.models.budget import (
    BudgetLimit,
    BudgetPeriod,
    BudgetReservation,
    ModelAccessRule,
)
from py_core.database.models.job import Job, JobKind, JobStatus
from py_core.database.models.outbox import OutboxEvent
from py_core.database.models.thread import (
    UNFINISHED_STATUSES,
    Message,
    MessageRole,
    MessageStatus,
    Thread,
    ThreadSource,
    ThreadStatus,
)
from py_core.database.models.usage import UsageRecord
from py_core.database.models.user import User, UserRole, UserStatus, normalise_email

__all__ = [
    "UNFINISHED_STATUSES",
    "ApiToken",
    "AuditAction",
    "AuditEntry",
    "BudgetLimit",
    "BudgetPeriod",
    "BudgetReservation",
    "Invite",
    "Job",
    "JobKind",
    "JobStatus",
    "Message",
    "MessageRole",
    "MessageStatus",
    "ModelAccessRule",
    "OutboxEvent",
    "RegistrationMode",
    "SiteSettings",
    "Thread",
    "ThreadSource",
    "ThreadStatus",
    "UsageRecord",
    "User",
    "UserRole",
    "UserSession",
    "UserStatus",
    "normalise_email",
]
