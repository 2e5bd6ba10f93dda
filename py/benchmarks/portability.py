"""Importing a generated ChatGPT export through the job runner, on SQLite: time and
peak memory.

`BENCH_CONVERSATIONS` (default 2,000) conversations of 40 messages each, about 100 KB of
JSON per conversation, so the default file is about 200 MB (the issue's figure).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from sqlalchemy import func, select

from benchmarks._report import figure, section, stopwatch
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.migrate import upgrade_async
from py_core.database.models import Job, Message, User
from py_core.portability import JobFiles, JobRunner, StartImport, start_import

TURNS = 40
WORDS_PER_MESSAGE = 400  # about 2.5 KB of text


def _write_export(path: Path, conversations: int) -> None:
    """Written one conversation at a time: generating it costs no memory either."""
    text = " ".join(["lorem", "ipsum", "dolor", "sit", "amet"] * (WORDS_PER_MESSAGE // 5))
    with path.open("w") as file:
        file.write("[")
        for c in range(conversations):
            mapping: dict[str, object] = {"root": {"id": "root", "parent": None, "message": None}}
            parent = "root"
            for t in range(TURNS):
                key = f"{c}-{t}"
                mapping[key] = {
                    "id": key,
                    "parent": parent,
                    "children": [],
                    "message": {
                        "id": key,
                        "author": {"role": "user" if t % 2 == 0 else "assistant"},
                        "create_time": 1_700_000_000 + c * 1000 + t,
                        "content": {"content_type": "text", "parts": [f"{t}: {text}"]},
                        "metadata": {"model_slug": "gpt-4o"},
                    },
                }
                parent = key
            item = {
                "title": f"Conversation {c}",
                "create_time": 1_700_000_000 + c * 1000,
                "update_time": 1_700_000_000 + c * 1000 + TURNS,
                "mapping": mapping,
                "current_node": parent,
                "conversation_id": f"conv-{c}",
            }
            file.write(("," if c else "") + json.dumps(item))
        file.write("]")


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class _PeakRss:
    """Samples the process's resident memory every 20 ms in a thread."""

    def __init__(self) -> None:
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, _rss())

    def __enter__(self) -> _PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def run() -> None:
    conversations = int(os.environ.get("BENCH_CONVERSATIONS", "2000"))
    section(f"import of a generated ChatGPT export ({conversations} conversations, SQLite)")
    folder = Path(tempfile.mkdtemp(prefix="bench-portability-"))
    source = folder / "conversations.json"
    with stopwatch() as wrote:
        _write_export(source, conversations)
    figure("export file", source.stat().st_size / 1e6, "MB", f"written in {wrote[0]:.1f} s")
    url = f"sqlite+aiosqlite:///{folder / 'bench.db'}"
    await upgrade_async(url)
    engine = create_engine(url)
    factory = create_session_factory(engine)
    files = JobFiles(root=folder / "data")
    try:
        async with session_scope(factory) as db:
            user = User(email="bench@example.com", display_name="Bench", password_hash="-")
            db.add(user)
        with source.open("rb") as stream:
            staged = files.stage_upload(stream)
        async with session_scope(factory) as db:
            job = await start_import(
                StartImport(upload=staged, file_name=source.name, files=files),
                Context(db=db).as_user(user),
            )
        runner = JobRunner(session_factory=factory, files=files, logger=logging.getLogger("bench"))
        before = _rss()
        with _PeakRss() as rss, stopwatch() as took:
            assert await runner.run_once()
        async with session_scope(factory) as db:
            done = await db.get_one(Job, job.id)
            messages = await db.scalar(select(func.count()).select_from(Message)) or 0
        assert done.report["imported"] == conversations, done.report
        figure("import (count pass + import)", took[0], "s")
        figure("conversations per second", conversations / took[0], "conv/s")
        figure("messages per second", messages / took[0], "msg/s", f"{messages:,} messages")
        figure("peak resident memory of the process", rss.peak / 1e6, "MB")
        figure("growth while importing", (rss.peak - before) / 1e6, "MB", "over the start")
    finally:
        await engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)
