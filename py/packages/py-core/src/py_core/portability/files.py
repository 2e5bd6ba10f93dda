"""Where jobs keep their files: under one data directory, which every instance of a
deployment must share (a volume) when there are several."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO

from py_core.database.utils import uuid7_str


@dataclass(frozen=True, kw_only=True)
class JobFiles:
    root: Path
    """The data directory; `imports/` and `exports/` are made in it."""

    def stage_upload(self, stream: BinaryIO) -> Path:
        """Copy an upload (a file object) into the data directory, in chunks."""
        folder = self.root / "imports"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{uuid7_str()}.upload"
        with path.open("wb") as target:
            shutil.copyfileobj(stream, target, 1024 * 1024)
        return path

    def export_path(self, job_id: str) -> Path:
        folder = self.root / "exports"
        folder.mkdir(parents=True, exist_ok=True)
        return folder / f"{job_id}.zip"

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def absolute(self, relative: str) -> Path:
        return self.root / relative

    def older_than(self, age: timedelta) -> list[str]:
        """The job files (relative paths) last written more than `age` ago."""
        cutoff = time.time() - age.total_seconds()
        found: list[str] = []
        for folder in ("exports", "imports"):
            directory = self.root / folder
            if directory.is_dir():
                found += [
                    self.relative(path)
                    for path in directory.iterdir()
                    if path.is_file() and path.stat().st_mtime < cutoff
                ]
        return found

    def remove(self, relative: str | None) -> None:
        if relative:
            self.absolute(relative).unlink(missing_ok=True)
