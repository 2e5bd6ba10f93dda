"""Work that may start only once the unit of work has committed.

An operation cannot commit (the boundary does), yet some work must follow its commit:
handing a stored reply to the runner, waking the outbox relay. The operation registers
it on the session and the boundary's commit runs it:

```python
ctx.after_commit(lambda: replies.submit(reply.id))   # inside an operation
async with session_scope(factory) as db: ...         # the boundary commits, then runs it
```

A rollback drops what was registered: nothing runs for work that did not happen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

__all__ = ["after_commit", "is_registered"]

_CALLBACKS = "py_core.unit_of_work.after_commit"
logger = logging.getLogger("py_core.database")


def after_commit(session: AsyncSession, callback: Callable[[], object]) -> None:
    """Run `callback` once the session's current transaction commits (never if it rolls
    back). The same callback registered twice runs once. It must not block: it runs
    inside the commit, on the event loop."""
    callbacks: list[Callable[[], object]] | None = session.info.get(_CALLBACKS)
    if callbacks is None:
        callbacks = session.info[_CALLBACKS] = []
        sync_session = session.sync_session
        event.listen(sync_session, "after_commit", _run)
        # "soft": also when nothing reached the database yet (no real ROLLBACK).
        event.listen(sync_session, "after_soft_rollback", _drop)
    if callback not in callbacks:
        callbacks.append(callback)


def is_registered(session: AsyncSession, callback: Callable[[], object]) -> bool:
    """True while `callback` waits for this transaction's commit (not yet run or dropped)."""
    return callback in session.info.get(_CALLBACKS, ())


def _run(session: Session, *_: Any) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the unit of work has not committed yet
    callbacks: list[Callable[[], object]] = session.info.get(_CALLBACKS, [])
    pending, callbacks[:] = list(callbacks), []
    for callback in pending:
        try:
            callback()
        except Exception:
            # The commit happened; one failing follow-up must not hide that or the rest.
            logger.exception("after-commit work failed")


def _drop(session: Session, previous: SessionTransaction) -> None:
    if previous.nested or previous.parent is not None:
        return  # a SAVEPOINT rolled back; what the transaction registered still stands
    callbacks: list[Callable[[], object]] = session.info.get(_CALLBACKS, [])
    callbacks.clear()
