"""The dependencies every operation receives, instead of reaching for globals."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(kw_only=True)
class Context:
    """What an operation may use. Built per request or per job at the boundary."""

    db: AsyncSession
    """The unit of work; operations flush, the boundary commits."""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("py_core"))
    """Where operations log; the boundary may bind a request id to it."""
