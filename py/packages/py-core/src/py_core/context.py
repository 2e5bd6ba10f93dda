"""The dependencies every operation receives, instead of reaching for globals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from py_core.events.outbox import Outbox

if TYPE_CHECKING:
    from py_core.ai_ml.providers import ModelCatalog


@dataclass(kw_only=True)
class Context:
    """What an operation may use. Built per request or per job at the boundary."""

    db: AsyncSession
    """The unit of work; operations flush, the boundary commits."""
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("py_core"))
    """Where operations log; the boundary may bind a request id to it."""
    models: ModelCatalog | None = None
    """The offered models, so operations can refuse an unknown model id. None skips
    the check (tests of operations that do not care which model)."""
    outbox_wake: Callable[[], None] | None = None
    """Called after a commit that wrote events; the app passes `OutboxRelay.wake`."""

    @property
    def events(self) -> Outbox:
        """Where operations put events: `ctx.events.add(ThreadUpdated.of(thread))`.
        They are written in this transaction and published after it commits."""
        return Outbox(self.db, wake=self.outbox_wake)
