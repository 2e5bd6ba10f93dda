"""Bodies of the export and import routes."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel

from py_core.database.models import Job


class JobOut(BaseModel):
    id: str
    kind: Literal["export", "import"]
    status: Literal["queued", "running", "complete", "failed", "cancelled", "expired"]
    done: int
    """Threads exported, or conversations read, so far."""
    total: int | None
    """How many there are; None until counted."""
    report: dict[str, Any]
    """An import: `imported`, `skipped`, `failed` (counts), `entries` (each conversation:
    `index`, `title`, `outcome`, and `reason` or `thread_id`), `omitted` (past the
    entries kept). An export: `threads`, `bytes`."""
    error: str | None
    """Why it failed."""
    file_name: str | None
    """An import: the uploaded file's name."""
    created_at: datetime
    finished_at: datetime | None
    expires_at: datetime | None
    """An export: its download is removed after this."""
    download_url: str | None
    """An export that can be downloaded now."""

    @classmethod
    def of(cls, job: Job) -> JobOut:
        downloadable = job.kind.value == "export" and job.status.value == "complete"
        return cls(
            id=job.id,
            kind=job.kind.value,
            status=job.status.value,
            done=job.done,
            total=job.total,
            report=job.report or {},
            error=job.error,
            file_name=job.file_name,
            created_at=job.created_at,
            finished_at=job.finished_at,
            expires_at=job.expires_at,
            download_url=f"/api/v1/exports/{job.id}/download" if downloadable else None,
        )


class JobsOut(BaseModel):
    items: list[JobOut]
    """Newest first."""
