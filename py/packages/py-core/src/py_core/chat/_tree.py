"""A thread as a tree of messages: branches, siblings, leaves.

Each message names its parent; a branch is the path from a first message down to a
leaf. Walks go through recursive CTEs (both databases have them) along the
`(thread_id, parent_id, id)` index, so a walk costs one statement and the rows on the
path, not the whole thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import CTE, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from py_core.database.models import Message


@dataclass(frozen=True, kw_only=True)
class Siblings:
    """A message among the messages that share its parent, oldest first."""

    ids: list[str]
    """Every sibling's id, the message's own included, oldest first."""
    index: int
    """The message's place in `ids`, from 0."""

    @property
    def count(self) -> int:
        """How many versions there are (1 when the message was never edited or
        regenerated)."""
        return len(self.ids)


def path_up(thread_id: str, start_id: str, *, limit: int) -> CTE:
    """`start_id` and its ancestors, at most `limit` of them: `id` and `depth` (1 for
    `start_id`, growing towards the first message). Join it to read their columns."""
    base = select(Message.id, Message.parent_id, literal(1).label("depth")).where(
        Message.id == start_id, Message.thread_id == thread_id
    )
    path = base.cte("path", recursive=True)
    parent = aliased(Message)
    return path.union_all(
        select(parent.id, parent.parent_id, path.c.depth + 1)
        .join(path, parent.id == path.c.parent_id)
        .where(path.c.depth < limit)
    )


async def newest_leaf_under(db: AsyncSession, thread_id: str, message_id: str) -> str:
    """The newest message of the subtree under `message_id` (itself if it has none).
    Ids are uuid7 and a child is always written after its parent, so the newest
    message of a subtree is one of its leaves."""
    base = select(Message.id).where(Message.id == message_id, Message.thread_id == thread_id)
    tree = base.cte("tree", recursive=True)
    child = aliased(Message)
    tree = tree.union_all(
        select(child.id)
        .join(tree, child.parent_id == tree.c.id)
        .where(child.thread_id == thread_id)
    )
    newest = await db.scalar(select(func.max(tree.c.id)))
    return newest or message_id


async def siblings_of(
    db: AsyncSession, thread_id: str, messages: Sequence[Message]
) -> dict[str, Siblings]:
    """Each message's siblings, in one query."""
    parents = {m.parent_id for m in messages}
    conditions = [Message.parent_id.in_([p for p in parents if p is not None])]
    if None in parents:
        conditions.append(Message.parent_id.is_(None))
    rows = await db.execute(
        select(Message.id, Message.parent_id)
        .where(Message.thread_id == thread_id, or_(*conditions))
        .order_by(Message.id)
    )
    by_parent: dict[str | None, list[str]] = {}
    for message_id, parent_id in rows:
        by_parent.setdefault(parent_id, []).append(message_id)
    return {
        m.id: Siblings(ids=(ids := by_parent.get(m.parent_id, [m.id])), index=ids.index(m.id))
        for m in messages
    }
