"""Taking data out: one thread (JSON or Markdown), or all of a user's (a zip).

```python
export = await export_thread(ExportThread(thread_id=t.id, format="markdown"), ctx)
export.filename, export.media_type, export.body      # what a download needs
```
"""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from py_core.chat._access import get_owned_thread
from py_core.chat._tree import path_up
from py_core.context import Context
from py_core.database.models import ApiToken, Message, Thread, User
from py_core.database.utils import utcnow
from py_core.portability.document import EXPORT_FORMAT, VERSION, thread_document
from py_core.portability.markdown import thread_markdown

ExportFormat = Literal["json", "markdown"]

_MEDIA_TYPES: dict[ExportFormat, str] = {
    "json": "application/json",
    "markdown": "text/markdown; charset=utf-8",
}
_SUFFIXES: dict[ExportFormat, str] = {"json": "json", "markdown": "md"}


@dataclass(frozen=True, kw_only=True)
class ExportThread:
    thread_id: str
    """The thread; another user's is `NotFound`."""
    format: ExportFormat = "json"
    """`json`: our format, every branch, lossless. `markdown`: the branch it shows."""


@dataclass(frozen=True, kw_only=True)
class ThreadExport:
    filename: str
    """A safe file name from the title (`trip-to-lisbon.md`)."""
    media_type: str
    """The body's content type."""
    body: bytes
    """The file."""


async def export_thread(params: ExportThread, ctx: Context) -> ThreadExport:
    """One thread as a file to download."""
    thread = await get_owned_thread(params.thread_id, ctx)
    if params.format == "markdown":
        body = thread_markdown(thread, await _active_branch(ctx.db, thread)).encode()
    else:
        body = _json(thread_document(thread, await _all_messages(ctx.db, thread.id)))
    return ThreadExport(
        filename=f"{slug(thread.title)}.{_SUFFIXES[params.format]}",
        media_type=_MEDIA_TYPES[params.format],
        body=body,
    )


def slug(title: str) -> str:
    """A file name from a title: letters, digits and dashes, never empty."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60] or "chat"


async def _all_messages(db: AsyncSession, thread_id: str) -> list[Message]:
    return list(
        await db.scalars(select(Message).where(Message.thread_id == thread_id).order_by(Message.id))
    )


async def _active_branch(db: AsyncSession, thread: Thread) -> list[Message]:
    if thread.active_leaf_id is None:
        return []
    path = path_up(thread.id, thread.active_leaf_id, limit=1_000_000)
    return list(
        await db.scalars(
            select(Message).join(path, Message.id == path.c.id).order_by(path.c.depth.desc())
        )
    )


def _json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2).encode()


async def write_account_export(
    db: AsyncSession,
    owner_id: str,
    target: Path,
    *,
    progress: Callable[[int, int], Any],
) -> int:
    """Write all of a user's threads to a zip at `target`: `threads/<id>.json` per
    thread (our format), `index.json` (what is in it) and `account.json` (the account
    and its settings; no password hash, no token secrets). `progress(done, total)` is
    awaited after each thread. One thread is in memory at a time."""
    user = await db.get_one(User, owner_id)
    thread_ids = list(
        await db.scalars(select(Thread.id).where(Thread.owner_id == owner_id).order_by(Thread.id))
    )
    index: list[dict[str, Any]] = []
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, thread_id in enumerate(thread_ids, start=1):
            thread = await db.get(Thread, thread_id)
            if thread is not None:  # deleted meanwhile
                name = f"threads/{thread.id}.json"
                messages = await _all_messages(db, thread.id)
                archive.writestr(name, _json(thread_document(thread, messages)))
                index.append({"id": thread.id, "title": thread.title, "file": name})
                db.expunge_all()  # keep one thread's rows in memory, not all of them
            await progress(done, len(thread_ids))
        archive.writestr("account.json", _json(await _account(db, owner_id, user)))
        archive.writestr(
            "index.json",
            _json(
                {
                    "format": EXPORT_FORMAT,
                    "version": VERSION,
                    "exported_at": utcnow().isoformat(),
                    "threads": index,
                }
            ),
        )
    return len(index)


async def _account(db: AsyncSession, owner_id: str, user: User) -> dict[str, Any]:
    tokens = await db.scalars(
        select(ApiToken).where(ApiToken.user_id == owner_id).order_by(ApiToken.id)
    )
    return {
        "email": user.email,
        "display_name": user.display_name,
        "role": user.role.value,
        "created_at": user.created_at.isoformat(),
        # Names and dates only: a token's secret is never stored, its hash stays here.
        "api_tokens": [
            {
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "expires_at": t.expires_at.isoformat() if t.expires_at else None,
                "revoked": t.revoked_at is not None,
            }
            for t in tokens
        ],
    }
