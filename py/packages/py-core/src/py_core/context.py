"""The dependencies every operation receives, instead of reaching for globals."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from py_core.budgets._settings import BudgetSettings
from py_core.database.models.admin import RegistrationMode
from py_core.database.unit_of_work import after_commit
from py_core.errors import Unauthenticated
from py_core.events.outbox import Outbox

if TYPE_CHECKING:
    from py_core.ai_ml.providers import ModelCatalog
    from py_core.database.models import User


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
    registration: RegistrationMode = RegistrationMode.OPEN
    """Who may sign up, as configured (`REGISTRATION`); an administrator's choice, kept
    in the database, overrides it."""
    budgets: BudgetSettings = field(default_factory=BudgetSettings)
    """The configured budgets, their time zone and clock (`py_core.budgets`)."""
    user: User | None = None
    """The acting user: operations see and change only what this user owns. None for
    work done on no one's behalf (sign-up, sign-in, the runner, recovery)."""

    @property
    def user_id(self) -> str:
        """The acting user's id; `Unauthenticated` when the context acts for no one."""
        if self.user is None:
            raise Unauthenticated("Sign in, or send an API token.")
        return self.user.id

    def as_user(self, user: User) -> Context:
        """This unit of work, acting for `user` (the boundary calls it once it knows
        who is asking)."""
        return replace(self, user=user)

    @property
    def events(self) -> Outbox:
        """Where operations put events: `ctx.events.add(ThreadUpdated.of(thread))`.
        They are written in this transaction and published after it commits."""
        return Outbox(self.db)

    def after_commit(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the boundary has committed this unit of work."""
        after_commit(self.db, callback)
