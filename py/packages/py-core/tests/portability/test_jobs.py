"""Exports and imports as stored jobs: run by whichever process claims them, taken
over after a dead process's lease, resumed where they stopped."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import zipfile
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.models import Job, JobKind, JobStatus, Message, Thread, User
from py_core.database.utils import utcnow
from py_core.errors import NotFound
from py_core.portability import (
    GetJob,
    JobFiles,
    JobRunner,
    JobSettings,
    StartExport,
    StartImport,
    cancel_job,
    get_job,
    plan_upload,
    read_conversations,
    start_export,
    start_import,
)
from py_core.portability.reader import ReadConversation
from py_core.portability.worker import LostJob, _Report

from .exports import chatgpt_conversation, claude_conversation, openwebui_chat, write_json

LOGGER = logging.getLogger("test")


@pytest.fixture
async def factory(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(db_url)
    yield create_session_factory(engine)
    await engine.dispose()


async def _user(factory: async_sessionmaker[AsyncSession], name: str) -> User:
    async with session_scope(factory) as db:
        user = User(email=f"{name}@example.com", display_name=name, password_hash="-")
        db.add(user)
    return user


async def _start_import(
    factory: async_sessionmaker[AsyncSession], files: JobFiles, user: User, source: Path
) -> Job:
    with source.open("rb") as stream:
        staged = files.stage_upload(stream)
    async with session_scope(factory) as db:
        return await start_import(
            StartImport(upload=staged, file_name=source.name, files=files),
            Context(db=db).as_user(user),
        )


async def _job(factory: async_sessionmaker[AsyncSession], job_id: str) -> Job:
    async with session_scope(factory) as db:
        return await db.get_one(Job, job_id)


async def _count(
    factory: async_sessionmaker[AsyncSession], model: type[Thread] | type[Message]
) -> int:
    async with session_scope(factory) as db:
        return await db.scalar(select(func.count()).select_from(model)) or 0


def _upload(tmp_path: Path) -> Path:
    items = [chatgpt_conversation(f"c-{i}", f"Chat {i}") for i in range(4)]
    broken = chatgpt_conversation("broken", "Broken")
    broken["mapping"]["a3"]["parent"] = "nowhere"
    return write_json(
        tmp_path / "conversations.json",
        [*items[:2], broken, *items[2:], claude_conversation(), openwebui_chat()],
    )


async def test_an_import_reports_and_a_second_one_creates_nothing(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    runner = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    job = await _start_import(factory, files, alice, _upload(tmp_path))
    assert job.status is JobStatus.QUEUED
    assert await runner.run_once()
    done = await _job(factory, job.id)
    assert (done.status, done.done, done.total) == (JobStatus.COMPLETE, 7, 7)
    report = done.report
    assert (report["imported"], report["skipped"], report["failed"]) == (6, 0, 1)
    (failed,) = [e for e in report["entries"] if e["outcome"] == "failed"]
    assert failed["title"] == "Broken"
    assert "nowhere" in failed["reason"]
    assert done.file_path is None
    assert not list((tmp_path / "data" / "imports").iterdir())
    threads = await _count(factory, Thread)
    again = await _start_import(factory, files, alice, _upload(tmp_path))
    assert await runner.run_once()
    second = (await _job(factory, again.id)).report
    assert (second["imported"], second["skipped"], second["failed"]) == (0, 6, 1)
    assert await _count(factory, Thread) == threads


async def test_an_import_taken_over_after_its_process_died(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    job = await _start_import(factory, files, alice, _upload(tmp_path))
    # The first process claims it, imports two conversations, and dies.
    dead = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    claimed = await dead._claim()
    assert claimed is not None
    assert claimed.id == job.id
    path = files.absolute(claimed.file_path or "")
    items = read_conversations(path, plan_upload(path))
    report = _Report({})
    for _ in range(2):
        await dead._import_one(claimed, claimed.claim_token or "", next(items), report, alice)
    assert (await _job(factory, job.id)).done == 2
    # Within its lease nobody else takes it.
    other = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert not await other.run_once()
    async with session_scope(factory) as db:
        await db.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await other.run_once()
    done = await _job(factory, job.id)
    assert done.status is JobStatus.COMPLETE
    assert done.attempts == 2
    assert (done.report["imported"], done.report["failed"]) == (6, 1)
    assert await _count(factory, Thread) == 6  # nothing twice
    # The dead process's claim is no longer good for anything.
    with pytest.raises(LostJob):
        await dead._import_one(claimed, claimed.claim_token or "", next(items), report, alice)


async def test_an_export_survives_a_restart_and_expires(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    await _start_import(factory, files, alice, _upload(tmp_path))
    runner = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert await runner.run_once()
    async with session_scope(factory) as db:
        job = await start_export(StartExport(files=files), Context(db=db).as_user(alice))
    # A process claims it and dies at once; after the lease another one does it.
    assert await JobRunner(session_factory=factory, files=files, logger=LOGGER)._claim()
    async with session_scope(factory) as db:
        await db.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await runner.run_once()
    done = await _job(factory, job.id)
    assert done.status is JobStatus.COMPLETE
    assert done.expires_at is not None
    assert (done.done, done.total, done.report["threads"]) == (6, 6, 6)
    with zipfile.ZipFile(files.absolute(done.file_path or "")) as archive:
        names = archive.namelist()
        index = json.loads(archive.read("index.json"))
        account = json.loads(archive.read("account.json"))
    assert len([n for n in names if n.startswith("threads/")]) == 6
    assert index["format"] == "py-app.export"
    assert len(index["threads"]) == 6
    assert account["email"] == "alice@example.com"
    assert "password_hash" not in account
    # Past its download time the zip goes and the job says so.
    async with session_scope(factory) as db:
        await db.execute(
            update(Job).where(Job.id == job.id).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    await runner.sweep()
    expired = await _job(factory, job.id)
    assert expired.status is JobStatus.EXPIRED
    assert expired.file_path is None
    assert not list((tmp_path / "data" / "exports").iterdir())


async def test_jobs_are_their_owners_and_cancel(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    files = JobFiles(root=tmp_path / "data")
    alice, bob = await _user(factory, "alice"), await _user(factory, "bob")
    job = await _start_import(factory, files, alice, _upload(tmp_path))
    async with session_scope(factory) as db:
        for op in (get_job, cancel_job):
            with pytest.raises(NotFound):
                await op(GetJob(job_id=job.id, kind=JobKind.IMPORT), Context(db=db).as_user(bob))
        with pytest.raises(NotFound):  # the other kind's id
            await get_job(GetJob(job_id=job.id, kind=JobKind.EXPORT), Context(db=db).as_user(alice))
        cancelled = await cancel_job(
            GetJob(job_id=job.id, kind=JobKind.IMPORT), Context(db=db).as_user(alice)
        )
        assert cancelled.status is JobStatus.CANCELLED
    runner = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert not await runner.run_once()  # a cancelled job never starts
    await runner.sweep()
    assert (await _job(factory, job.id)).file_path is None
    assert await _count(factory, Thread) == 0


async def test_a_stopped_process_hands_its_import_back(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    """A clean stop mid-import: the job goes back to the queue with what it did, and
    the next process finishes it, importing nothing twice."""
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    items = [chatgpt_conversation(f"c-{i}", f"Chat {i}") for i in range(150)]
    job = await _start_import(factory, files, alice, write_json(tmp_path / "c.json", items))
    first = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    await first.start()
    for _ in range(600):
        if (await _job(factory, job.id)).done >= 3:
            break
        await asyncio.sleep(0.02)
    await first.stop()
    stopped = await _job(factory, job.id)
    assert stopped.status is JobStatus.QUEUED
    assert 3 <= stopped.done < 150
    second = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert await second.run_once()
    done = await _job(factory, job.id)
    assert done.status is JobStatus.COMPLETE
    assert done.report["imported"] == 150
    assert await _count(factory, Thread) == 150


async def test_a_deleted_account_leaves_no_files(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    """Deleting a user deletes their jobs (foreign key); the sweep then removes the
    files no job names, once they are old enough not to be an upload in flight."""
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    async with session_scope(factory) as db:
        job = await start_export(StartExport(files=files), Context(db=db).as_user(alice))
    runner = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert await runner.run_once()
    zip_path = files.absolute((await _job(factory, job.id)).file_path or "")
    fresh = files.stage_upload(io.BytesIO(b"[]"))  # an upload whose job is not committed yet
    async with session_scope(factory) as db:
        await db.delete(await db.get_one(User, alice.id))
    await runner.sweep()
    assert zip_path.exists()  # too young to be called an orphan
    runner.settings = JobSettings(orphan_age=timedelta(0))
    os.utime(fresh, (0, 0))
    await runner.sweep()
    assert not zip_path.exists()
    assert not fresh.exists()


async def test_a_file_cut_where_it_looks_whole_fails_before_importing(
    tmp_path: Path, factory: async_sessionmaker[AsyncSession]
) -> None:
    files = JobFiles(root=tmp_path / "data")
    alice = await _user(factory, "alice")
    whole = json.dumps([chatgpt_conversation("a"), chatgpt_conversation("b")])
    cut = tmp_path / "cut.json"
    cut.write_text(whole[: whole.index("]", whole.rindex('"parts": [')) + 1])
    job = await _start_import(factory, files, alice, cut)  # the first conversation reads
    runner = JobRunner(session_factory=factory, files=files, logger=LOGGER)
    assert await runner.run_once()
    failed = await _job(factory, job.id)
    assert failed.status is JobStatus.FAILED
    assert failed.error == "The file is truncated: it ends in the middle."
    assert await _count(factory, Thread) == 0  # not even the complete first one
    assert failed.file_path is None


def test_a_report_never_crowds_out_a_failure() -> None:
    report = _Report({})
    for index in range(150):
        item = ReadConversation(index=index, title=f"Chat {index}", conversation=None)
        report.add(item, "imported", thread_id=f"t-{index}")
    last = ReadConversation(index=150, title="Broken", conversation=None)
    data = report.add(last, "failed", reason="a cycle")
    assert (data["imported"], data["failed"], data["omitted"]) == (150, 1, 50)
    assert data["entries"][-1] == {
        "index": 150,
        "title": "Broken",
        "outcome": "failed",
        "reason": "a cycle",
    }
    assert len(data["entries"]) == 101
