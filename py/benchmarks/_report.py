"""Printing figures in one consistent shape."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


def figure(name: str, value: float, unit: str, note: str = "") -> None:
    print(f"  {name:<46} {value:>14,.2f} {unit:<10} {note}")


def section(title: str) -> None:
    print(f"\n{title}")


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Yields a one-element list that holds the elapsed seconds afterwards."""
    elapsed = [0.0]
    start = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed[0] = time.perf_counter() - start


def table(headers: list[str], rows: list[list[str]]) -> None:
    """Columns as wide as their widest cell; the first left-aligned, the rest right."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]
    for line in [headers, *rows]:
        cells = [
            cell.ljust(width) if index == 0 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(line, widths, strict=True))
        ]
        print("  " + "  ".join(cells).rstrip())
