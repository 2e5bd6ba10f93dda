"""Where jobs keep their files: under one data directory, which every instance of a
deployment must share (a volume) when there are several."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
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

    def remove(self, relative: str | None) -> None:
        if relative:
            self.absolute(relative).unlink(missing_ok=True)
