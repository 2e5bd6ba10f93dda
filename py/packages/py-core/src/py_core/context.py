"""The dependencies every operation receives, instead of reaching for globals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from py_core.database.unit_of_work import after_commit
from py_core.events.outbox import Outbox

if TYPE_CHECKING:
    from py_core.ai_ml.providers import ModelCatalog


class Replies(Protocol):
    """Where stored replies are handed to be written (the app's `GenerationRunner`)."""

    def submit(self, message_id: str) -> None:
        """Write the pending reply; called after the transaction that stored it."""

    def cancel_local(self, message_id: str) -> bool:
        """Stop the reply now if this process writes it."""


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
    replies: Replies | None = None
    """Where a posted reply goes once its transaction commits; None stores it only
    (tests of operations, jobs that do not generate)."""

    @property
    def events(self) -> Outbox:
        """Where operations put events: `ctx.events.add(ThreadUpdated.of(thread))`.
        They are written in this transaction and published after it commits."""
        return Outbox(self.db)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the boundary has committed this unit of work."""
        after_commit(self.db, callback)
