"""Starting, reading and cancelling a user's exports and imports (the operations).
The `JobRunner` (`worker.py`) does the work, in whichever process claims the job.

```python
job = await start_import(StartImport(upload=staged, file_name="conversations.json",
                                     files=files), ctx)    # ImportFileError: 422
job = await get_job(GetJob(job_id=job.id, kind=JobKind.IMPORT), ctx)  # progress, report
```
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from py_core.context import Context
from py_core.database.models import Job, JobKind, JobStatus
from py_core.database.utils import utcnow, uuid7_str
from py_core.errors import Conflict, NotFound
from py_core.limits import MAX_UNFINISHED_JOBS
from py_core.portability.errors import ImportFileError
from py_core.portability.files import JobFiles
from py_core.portability.reader import plan_upload

UNFINISHED = (JobStatus.QUEUED, JobStatus.RUNNING)


@dataclass(frozen=True, kw_only=True)
class StartExport:
    files: JobFiles
    """Where the zip will be written (the app's data directory)."""


@dataclass(frozen=True, kw_only=True)
class StartImport:
    upload: Path
    """The uploaded file, already copied under `files.root`; the job owns it from now
    on (it is removed when the job ends, or at once if it cannot be imported)."""
    file_name: str
    """Its name as the browser sent it, shown in the report; never used as a path."""
    files: JobFiles
    """The data directory the upload is in."""


@dataclass(frozen=True, kw_only=True)
class GetJob:
    job_id: str
    """The job; another user's is `NotFound`."""
    kind: JobKind
    """An export or an import: the other kind's id is `NotFound` too."""


async def start_export(params: StartExport, ctx: Context) -> Job:
    """Queue an export of everything the acting user has (a zip, downloadable for a
    while). `Conflict` when they have `MAX_UNFINISHED_JOBS` unfinished already."""
    await _check_room(ctx)
    job = Job(id=uuid7_str(), owner_id=ctx.user_id, kind=JobKind.EXPORT, report={})
    ctx.db.add(job)
    await ctx.db.flush()
    return job


async def start_import(params: StartImport, ctx: Context) -> Job:
    """Queue an import of the upload, once it is known to be something we read
    (`ImportFileError`, naming the problem, otherwise: nothing is queued and the
    upload is removed)."""
    try:
        await _check_room(ctx)
        # File reads, and a first conversation parsed: off the event loop.
        await asyncio.to_thread(plan_upload, params.upload)
    except (ImportFileError, Conflict):
        params.upload.unlink(missing_ok=True)
        raise
    job = Job(
        id=uuid7_str(),
        owner_id=ctx.user_id,
        kind=JobKind.IMPORT,
        file_path=params.files.relative(params.upload),
        file_name=params.file_name[:255] or "upload",
        report={},
    )
    ctx.db.add(job)
    await ctx.db.flush()
    return job


async def get_job(params: GetJob, ctx: Context) -> Job:
    job = await ctx.db.get(Job, params.job_id, populate_existing=True)
    if job is None or job.owner_id != ctx.user_id or job.kind is not params.kind:
        raise NotFound(f"No such {params.kind.value}.")
    return job


@dataclass(frozen=True, kw_only=True)
class ListJobs:
    kind: JobKind
    """Exports or imports."""
    limit: int = 10
    """The newest this many, 1 to 50."""


async def list_jobs(params: ListJobs, ctx: Context) -> list[Job]:
    """The acting user's newest jobs of a kind, newest first."""
    limit = max(1, min(params.limit, 50))
    return list(
        await ctx.db.scalars(
            select(Job)
            .where(Job.owner_id == ctx.user_id, Job.kind == params.kind)
            .order_by(Job.id.desc())
            .limit(limit)
        )
    )


async def cancel_job(params: GetJob, ctx: Context) -> Job:
    """Stop a job: a queued one never starts, a running one stops before its next
    conversation (what it imported so far stays). A finished job is left as it is."""
    job = await get_job(params, ctx)
    if job.status in UNFINISHED:
        job.status = JobStatus.CANCELLED
        job.finished_at = utcnow()
        job.lease_expires_at = None
    return job


@dataclass(frozen=True, kw_only=True)
class Download:
    path: Path
    """The zip on disk."""
    filename: str
    """The name to save it as."""


@dataclass(frozen=True, kw_only=True)
class DownloadExport:
    job_id: str
    """The export; another user's is `NotFound`."""
    files: JobFiles
    """The data directory its zip is in."""


async def export_download(params: DownloadExport, ctx: Context) -> Download:
    """The finished export's file. `Conflict` while it runs or after it failed or
    expired (its download time ran out)."""
    job = await get_job(GetJob(job_id=params.job_id, kind=JobKind.EXPORT), ctx)
    files = params.files
    if job.status is not JobStatus.COMPLETE or job.file_path is None:
        raise Conflict(f"This export is {job.status.value}; there is nothing to download.")
    path = files.absolute(job.file_path)
    if not path.exists():
        raise Conflict("This export's file is gone; start a new export.")
    return Download(path=path, filename=f"py-app-export-{job.created_at:%Y-%m-%d}.zip")


async def _check_room(ctx: Context) -> None:
    unfinished = await ctx.db.scalar(
        select(func.count())
        .select_from(Job)
        .where(Job.owner_id == ctx.user_id, Job.status.in_(UNFINISHED))
    )
    if (unfinished or 0) >= MAX_UNFINISHED_JOBS:
        raise Conflict(
            f"You have {MAX_UNFINISHED_JOBS} exports or imports under way; wait for one to finish."
        )
