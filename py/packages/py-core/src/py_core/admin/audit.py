"""The audit log: every administrator action, who did it, when, and to whom.

An operation records its entry in its own transaction, so an action that fails leaves
no entry and an entry never lacks its action:

```python
user.role = UserRole.ADMIN
record(ctx, AuditAction.ROLE_CHANGED, target=user, details={"from": "user", "to": "admin"})
```
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from py_core.admin._access import require_admin
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.context import Context
from py_core.database.models import AuditAction, AuditEntry, User

OPERATOR_COMMAND_LINE = "command line"
"""The actor of what `make admin` does (no one is signed in there)."""
OPERATOR_ADMIN_EMAILS = "ADMIN_EMAILS"
"""The actor of the promotions `ADMIN_EMAILS` makes at start-up."""


def record(
    ctx: Context,
    action: AuditAction,
    *,
    target: User | None = None,
    target_id: str | None = None,
    target_name: str | None = None,
    details: dict[str, Any] | None = None,
    operator: str | None = None,
) -> AuditEntry:
    """Add the entry of `action` to this unit of work. The actor is the acting user, or
    `operator` (how the operator acted) for work done on no one's behalf."""
    actor = ctx.user
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.email if actor is not None else (operator or OPERATOR_COMMAND_LINE),
        action=action,
        target_id=target.id if target is not None else target_id,
        target_name=target.email if target is not None else target_name,
        details=details or {},
    )
    ctx.db.add(entry)
    return entry


@dataclass(frozen=True, kw_only=True)
class ListAudit:
    target_id: str | None = None
    """Only the entries about this user (or invite)."""
    cursor: str | None = None
    """`next_cursor` of the previous page."""
    limit: int = 50
    """Entries per page, 1 to 100."""


@dataclass(frozen=True, kw_only=True)
class AuditPage:
    items: list[AuditEntry]
    """Newest first."""
    next_cursor: str | None
    """Pass it back for older entries; None on the last page."""


async def list_audit(params: ListAudit, ctx: Context) -> AuditPage:
    require_admin(ctx)
    limit = check_limit(params.limit)
    query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit + 1)
    if params.target_id is not None:
        query = query.where(AuditEntry.target_id == params.target_id)
    if params.cursor:
        [last_id] = decode_cursor(params.cursor, 1)
        query = query.where(AuditEntry.id < last_id)
    rows = list(await ctx.db.scalars(query))
    more = len(rows) > limit
    items = rows[:limit]
    return AuditPage(items=items, next_cursor=encode_cursor(items[-1].id) if more else None)
