"""Background jobs of a user: exports of their data and imports of other services'."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from py_core.database.base import Base
from py_core.database.utils import StringEnum, UTCDateTime, utcnow, uuid7_str


class JobKind(enum.StrEnum):
    EXPORT = "export"
    IMPORT = "import"


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    """An export whose download time ran out: its file is gone."""

    @property
    def is_final(self) -> bool:
        return self not in (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(Base):
    """Stored, not held in memory: any process may take a job over once the lease of
    the one running it ran out (it died), so jobs survive restarts."""

    __tablename__ = "jobs"
    __table_args__ = (
        # Claiming: queued jobs, and running ones whose lease ran out.
        Index("ix_jobs_status_lease", "status", "lease_expires_at"),
        Index("ix_jobs_owner_id_id", "owner_id", "id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=uuid7_str)
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[JobKind] = mapped_column(StringEnum(JobKind))
    status: Mapped[JobStatus] = mapped_column(StringEnum(JobStatus), default=JobStatus.QUEUED)
    done: Mapped[int] = mapped_column(Integer, default=0)
    """Threads exported, or conversations read from the upload, so far."""
    total: Mapped[int | None] = mapped_column(Integer)
    """How many there are in all; None until counted."""
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """What the job did (an import: imported, skipped and why, failed and why),
    written in the same transaction as each conversation it imports."""
    error: Mapped[str | None] = mapped_column(Text)
    """Why a failed job failed, readable by its owner."""
    file_path: Mapped[str | None] = mapped_column(String(500))
    """The upload (an import) or the zip (an export), relative to the data directory."""
    file_name: Mapped[str | None] = mapped_column(String(255))
    """The upload's name as the browser sent it, for display only (never a path)."""
    claim_token: Mapped[str | None] = mapped_column(String(36))
    """Who runs it now: a process writes progress only while this is still its own."""
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """While running: renewed by its process; once past, another process takes it over."""
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    """Times it was claimed; a job that keeps killing its process stops being retried."""
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    """An export's download is removed after this."""
