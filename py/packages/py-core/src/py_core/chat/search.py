"""Search a user's threads by title and by the text of their messages.

Message text goes through a full-text index so search stays fast at millions of
messages: FTS5 on SQLite, a GIN index on `to_tsvector('simple', text)` on PostgreSQL
(both made by the migrations). Titles are few per user, so a substring match on the
user's own threads is cheap and finds partial words too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, literal_column, or_, select, text

from py_core.chat._cursor import check_limit
from py_core.context import Context
from py_core.database.models import Message, Thread
from py_core.errors import InvalidInput
from py_core.limits import MAX_QUERY

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, kw_only=True)
class SearchThreads:
    """Searches the acting user's threads; nobody else's are ever searched."""

    query: str
    """Words to find; every word must appear (in the title or in one message)."""
    limit: int = 50
    """At most this many threads, most recently active first."""


@dataclass(frozen=True, kw_only=True)
class SearchHit:
    thread: Thread
    """A thread that matches."""
    message_id: str | None
    """Its newest message holding every word, on any branch (switch to it to show it);
    None when only the title matched."""


async def search_threads(params: SearchThreads, ctx: Context) -> list[SearchHit]:
    limit = check_limit(params.limit)
    words = _WORD.findall(params.query)[:20]
    if not words or len(params.query) > MAX_QUERY:
        raise InvalidInput(f"Enter 1 to {MAX_QUERY} characters to search for.", field="q")
    in_messages = select(Message.thread_id).where(_text_matches(ctx, words))
    title_matches = [Thread.title.ilike(f"%{_escape_like(w)}%", escape="\\") for w in words]
    stmt = (
        select(Thread)
        .where(Thread.owner_id == ctx.user_id)
        .where(or_(Thread.id.in_(in_messages), and_(*title_matches)))
        .order_by(Thread.last_activity_at.desc(), Thread.id.desc())
        .limit(limit)
    )
    threads = list(await ctx.db.scalars(stmt))
    if not threads:
        return []
    newest = await ctx.db.execute(
        select(Message.thread_id, func.max(Message.id))
        .where(Message.thread_id.in_([t.id for t in threads]), _text_matches(ctx, words))
        .group_by(Message.thread_id)
    )
    found: dict[str, str] = dict(newest.all())
    return [SearchHit(thread=t, message_id=found.get(t.id)) for t in threads]


def _text_matches(ctx: Context, words: list[str]) -> ColumnElement[bool]:
    if ctx.db.get_bind().dialect.name == "sqlite":
        # Each word quoted, so FTS5 query syntax typed by a user is taken literally.
        query = " ".join('"' + w.replace('"', '""') + '"' for w in words)
        matching = text("SELECT rowid FROM messages_fts WHERE messages_fts MATCH :q").bindparams(
            q=query
        )
        return literal_column("messages.rowid").in_(matching)
    tsvector = func.to_tsvector(literal_column("'simple'"), Message.text)
    tsquery = func.plainto_tsquery(literal_column("'simple'"), " ".join(words))
    return tsvector.op("@@")(tsquery)


def _escape_like(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
