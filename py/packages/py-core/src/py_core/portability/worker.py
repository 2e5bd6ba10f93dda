"""Runs exports and imports in the background, in any process of the deployment.

Jobs are rows, claimed with a lease like the replies are: the process that claims one
renews its lease while it works; if it dies, the lease runs out and any process takes
the job over. An import goes on where it stopped (each conversation is committed with
the job's progress, so `done` says exactly how far it got); an export starts its zip
again. A process writes progress only while the claim is still its own, so a job
cancelled, or taken over after a stall, stops its old worker at its next step.

```python
runner = JobRunner(session_factory=factory, files=JobFiles(root=data_dir))
await runner.start()     # then runner.wake() after a job is queued
await runner.stop()      # the job in hand goes back to the queue
```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml.providers import ModelCatalog
from py_core.context import Context
from py_core.database import session_scope
from py_core.database.models import Job, JobKind, JobStatus, User
from py_core.database.utils import utcnow, uuid7_str
from py_core.portability._conversation import BadConversation
from py_core.portability.errors import ImportFileError
from py_core.portability.exporter import write_account_export
from py_core.portability.files import JobFiles
from py_core.portability.importer import Stored, store_conversation
from py_core.portability.reader import ReadConversation, count_conversations, plan_upload
from py_core.portability.reader import read_conversations as read_upload

MAX_REPORT_IMPORTED = 100
"""Imported conversations a report names one by one (the rest are counted)."""
MAX_REPORT_PROBLEMS = 200
"""Failed and skipped conversations a report names, with why (the rest are counted).
Kept apart from the imported ones, so a failure is never crowded out. The report is
written whole with each conversation, so it stays small."""


@dataclass(frozen=True, kw_only=True)
class JobSettings:
    lease_seconds: float = 30.0
    """A job whose process stopped renewing it for this long is taken over."""
    poll_interval: float = 2.0
    """How often an idle runner looks for work (`wake()` makes it look at once)."""
    sweep_interval: float = 60.0
    """How often finished jobs' files are cleaned up."""
    export_retention: timedelta = timedelta(hours=24)
    """How long a finished export can be downloaded; then its zip is removed."""
    max_attempts: int = 3
    """A job claimed this many times (its processes kept dying) fails."""
    keep_finished: timedelta = timedelta(days=30)
    """How long a finished job's row (its report) is kept."""
    orphan_age: timedelta = timedelta(hours=1)
    """A file in the data directory that no job names is removed once this old (an
    upload is on disk a moment before its job is; an account deleted takes its jobs
    with it, and this takes their files)."""


class LostJob(Exception):
    """The job is no longer this process's: cancelled, or taken over."""


class JobRunner:
    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        files: JobFiles,
        settings: JobSettings | None = None,
        models: ModelCatalog | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.settings = settings or JobSettings()
        self._factory = session_factory
        self._files = files
        self._models = models
        self._logger = logger or logging.getLogger("py_core.portability")
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._current: tuple[str, str] | None = None  # (job id, claim token)

    async def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="job-runner")

    def wake(self) -> None:
        """Look for work now (after a job was queued and committed)."""
        self._wake.set()

    async def stop(self) -> None:
        current = self._current  # read first: cancelling the work clears it
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if current is not None:
            # Back to the queue, so the next process to start takes it at once.
            job_id, token = current
            with contextlib.suppress(Exception):
                async with session_scope(self._factory) as db:
                    await db.execute(
                        update(Job)
                        .where(Job.id == job_id, Job.claim_token == token)
                        .values(status=JobStatus.QUEUED, claim_token=None, lease_expires_at=None)
                    )
            self._current = None

    async def run_once(self) -> bool:
        """Claim one job and do it; False when there was none (tests call this)."""
        job = await self._claim()
        if job is None:
            return False
        self._current = (job.id, job.claim_token or "")
        try:
            await self._run(job)
        finally:
            self._current = None
        return True

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        next_sweep = loop.time()
        while True:
            try:
                if loop.time() >= next_sweep:
                    next_sweep = loop.time() + self.settings.sweep_interval
                    await self.sweep()
                if await self.run_once():
                    continue
            except Exception:
                self._logger.exception("job runner: retrying")
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.settings.poll_interval)

    async def _claim(self) -> Job | None:
        now = utcnow()
        claimable = or_(
            Job.status == JobStatus.QUEUED,
            and_(Job.status == JobStatus.RUNNING, Job.lease_expires_at < now),
        )
        async with session_scope(self._factory) as db:
            candidates = list(
                await db.scalars(
                    select(Job.id)
                    .where(claimable)
                    .order_by(Job.id)
                    .limit(5)
                    .with_for_update(skip_locked=True)
                )
            )
            for job_id in candidates:
                token = uuid7_str()
                # Conditional, so two processes (or SQLite's reader and writer seeing
                # different moments) never both take it.
                claimed = await db.execute(
                    update(Job)
                    .where(Job.id == job_id, claimable)
                    .values(
                        status=JobStatus.RUNNING,
                        claim_token=token,
                        lease_expires_at=now + self._lease,
                        attempts=Job.attempts + 1,
                    )
                )
                if getattr(claimed, "rowcount", 0) == 1:
                    job = await db.get_one(Job, job_id, populate_existing=True)
                    if job.attempts > self.settings.max_attempts:
                        self._end(job, JobStatus.FAILED, "It stopped its process every time.")
                        return None
                    return job
        return None

    @property
    def _lease(self) -> timedelta:
        return timedelta(seconds=self.settings.lease_seconds)

    async def _run(self, job: Job) -> None:
        token = job.claim_token or ""
        renewer = asyncio.create_task(self._renew(job.id, token))
        work = asyncio.create_task(
            self._export(job) if job.kind is JobKind.EXPORT else self._import(job)
        )
        renewer.add_done_callback(lambda _: work.cancel())
        try:
            status, error = await work
        except LostJob:
            self._logger.info("job %s is no longer ours", job.id)
            return
        except asyncio.CancelledError:
            if not renewer.done() or renewer.cancelled():
                raise  # this runner is stopping
            self._logger.info("job %s is no longer ours", job.id)
            return
        except ImportFileError as exc:
            status, error = JobStatus.FAILED, exc.message
        except Exception:
            self._logger.exception("job failed", extra={"job_id": job.id})
            status, error = JobStatus.FAILED, "It failed unexpectedly; try again."
        finally:
            renewer.cancel()
        async with session_scope(self._factory) as db:
            current = await db.get(Job, job.id, populate_existing=True)
            if current is not None and current.claim_token == token:
                if current.status is JobStatus.RUNNING:
                    self._end(current, status, error)
                if current.kind is JobKind.IMPORT:
                    self._files.remove(current.file_path)
                    current.file_path = None

    def _end(self, job: Job, status: JobStatus, error: str | None) -> None:
        job.status = status
        job.error = error
        job.finished_at = utcnow()
        job.lease_expires_at = None
        if status is JobStatus.COMPLETE and job.kind is JobKind.EXPORT:
            job.expires_at = job.finished_at + self.settings.export_retention

    async def _renew(self, job_id: str, token: str) -> None:
        """Renew the lease until the job is no longer ours; then return (which stops
        the work)."""
        while True:
            await asyncio.sleep(self.settings.lease_seconds / 3)
            try:
                async with session_scope(self._factory) as db:
                    if not await _guard(db, job_id, token, self._lease):
                        return
            except Exception:
                self._logger.warning("job lease not renewed; retrying", exc_info=True)

    async def _export(self, job: Job) -> tuple[JobStatus, str | None]:
        token = job.claim_token or ""
        target = self._files.export_path(job.id)
        partial = target.with_suffix(".part")
        last = 0.0
        loop = asyncio.get_running_loop()

        async def progress(done: int, total: int) -> None:
            nonlocal last
            if done < total and loop.time() - last < 0.5:
                return  # a write per half second is progress enough
            last = loop.time()
            async with session_scope(self._factory) as db:
                if not await _guard(db, job.id, token, self._lease, done=done, total=total):
                    raise LostJob

        try:
            async with session_scope(self._factory) as db:
                count = await write_account_export(db, job.owner_id, partial, progress=progress)
            partial.replace(target)
        finally:
            partial.unlink(missing_ok=True)
        async with session_scope(self._factory) as db:
            if not await _guard(
                db,
                job.id,
                token,
                self._lease,
                file_path=self._files.relative(target),
                report={"threads": count, "bytes": target.stat().st_size},
            ):
                target.unlink(missing_ok=True)
                raise LostJob
        return JobStatus.COMPLETE, None

    async def _import(self, job: Job) -> tuple[JobStatus, str | None]:
        token = job.claim_token or ""
        if job.file_path is None:
            return JobStatus.FAILED, "The uploaded file is gone."
        path = self._files.absolute(job.file_path)
        if not path.exists():
            return JobStatus.FAILED, "The uploaded file is gone (the data directory changed?)."
        parts = await asyncio.to_thread(plan_upload, path)
        total = await asyncio.to_thread(count_conversations, path, parts)
        report = _Report(dict(job.report or {}))
        async with session_scope(self._factory) as db:
            if not await _guard(db, job.id, token, self._lease, total=total):
                raise LostJob
            # Loaded once; each conversation's context acts for it (only its id is read).
            owner = await db.get_one(User, job.owner_id)
        async with _in_thread(read_upload(path, parts)) as items:
            while (item := await items()) is not None:
                if item.index < job.done:
                    continue  # done before a restart: committed with its progress
                await self._import_one(job, token, item, report, owner)
        return JobStatus.COMPLETE, None

    async def _import_one(
        self, job: Job, token: str, item: ReadConversation, report: _Report, owner: User
    ) -> None:
        done = item.index + 1
        if item.conversation is not None:
            try:
                async with session_scope(self._factory) as db:
                    ctx = Context(db=db, logger=self._logger, models=self._models)
                    ctx = ctx.as_user(owner)
                    outcome = await store_conversation(item.conversation, ctx)
                    if isinstance(outcome, Stored):
                        entry = report.add(item, "imported", thread_id=outcome.thread.id)
                    else:
                        entry = report.add(
                            item, "skipped", reason=outcome.reason, thread_id=outcome.thread_id
                        )
                    # In the conversation's own transaction: the progress a takeover
                    # resumes from is exactly what was committed.
                    if not await _guard(db, job.id, token, self._lease, done=done, report=entry):
                        raise LostJob
                return
            except BadConversation as exc:
                problem = exc.reason
            except IntegrityError:
                problem = None  # imported at the same moment by another job of theirs
                entry = report.add(item, "skipped", reason="already imported")
        else:
            problem = item.problem
        if problem is not None:
            entry = report.add(item, "failed", reason=problem)
        async with session_scope(self._factory) as db:
            if not await _guard(db, job.id, token, self._lease, done=done, report=entry):
                raise LostJob

    async def sweep(self) -> None:
        """Remove the zips of exports past their download time, and uploads whose job
        ended without removing them (its process died)."""
        now = utcnow()
        async with session_scope(self._factory) as db:
            rows = list(
                await db.scalars(
                    select(Job)
                    .where(
                        Job.file_path.is_not(None),
                        or_(
                            and_(Job.kind == JobKind.EXPORT, Job.expires_at < now),
                            and_(
                                Job.kind == JobKind.IMPORT,
                                Job.status.in_(
                                    (JobStatus.COMPLETE, JobStatus.FAILED, JobStatus.CANCELLED)
                                ),
                            ),
                        ),
                    )
                    .limit(100)
                    .with_for_update(skip_locked=True)
                )
            )
            for job in rows:
                self._files.remove(job.file_path)
                job.file_path = None
                if job.kind is JobKind.EXPORT:
                    job.status = JobStatus.EXPIRED
            await db.execute(
                delete(Job).where(
                    Job.finished_at < now - self.settings.keep_finished, Job.file_path.is_(None)
                )
            )
        await self._sweep_orphans()

    async def _sweep_orphans(self) -> None:
        """Remove files no job names any more (their account was deleted, with its jobs)."""
        old = await asyncio.to_thread(self._files.older_than, self.settings.orphan_age)
        for start in range(0, len(old), 500):
            batch = old[start : start + 500]
            async with session_scope(self._factory) as db:
                named = set(await db.scalars(select(Job.file_path).where(Job.file_path.in_(batch))))
            for relative in batch:
                if relative not in named:
                    self._files.remove(relative)


async def _guard(
    db: AsyncSession, job_id: str, token: str, lease: timedelta, **values: Any
) -> bool:
    """Renew the lease (and write `values`) if the job is still this claim's and
    running; False otherwise."""
    result = await db.execute(
        update(Job)
        .where(Job.id == job_id, Job.claim_token == token, Job.status == JobStatus.RUNNING)
        .values(lease_expires_at=utcnow() + lease, **values)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


class _Report:
    """The import's report, kept in step with what is committed."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data: dict[str, Any] = {
            "imported": 0,
            "skipped": 0,
            "failed": 0,
            "omitted": 0,
            "entries": [],
        }
        self.data.update(data)

    def add(self, item: ReadConversation, outcome: str, **fields: Any) -> dict[str, Any]:
        """The report with this conversation counted (a new dict: the column is
        written whole)."""
        data = {**self.data, "entries": list(self.data["entries"])}
        data[outcome] += 1
        same = sum(
            1 for e in data["entries"] if (e["outcome"] == "imported") == (outcome == "imported")
        )
        if same < (MAX_REPORT_IMPORTED if outcome == "imported" else MAX_REPORT_PROBLEMS):
            entry = {"index": item.index, "title": item.title, "outcome": outcome}
            entry.update({k: v for k, v in fields.items() if v is not None})
            data["entries"].append(entry)
        else:
            data["omitted"] += 1
        self.data = data
        return data


@contextlib.asynccontextmanager
async def _in_thread(iterator: Iterator[ReadConversation]) -> Any:
    """Pull items of a blocking iterator (file reads, parsing) off the event loop."""

    async def pull() -> ReadConversation | None:
        return await asyncio.to_thread(next, iterator, None)

    try:
        yield pull
    finally:
        close = getattr(iterator, "close", None)
        if close is not None:
            close()
