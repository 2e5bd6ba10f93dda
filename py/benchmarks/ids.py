"""uuid7 generation."""

from __future__ import annotations

from benchmarks._report import figure, section, stopwatch
from py_core.database.utils import uuid7_str


async def run() -> None:
    section("uuid7")
    count = 200_000
    with stopwatch() as elapsed:
        for _ in range(count):
            uuid7_str()
    figure("uuid7_str()", count / elapsed[0], "ids/s")
