"""Threads: create, change, archive, delete, list by last activity."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import and_, delete, or_, select

from py_core.chat._access import get_owned_thread
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.chat.model_access import check_model_allowed
from py_core.context import Context
from py_core.database.models import Thread, ThreadStatus
from py_core.errors import InvalidInput
from py_core.events.types import ThreadCreated, ThreadDeleted, ThreadUpdated
from py_core.limits import MAX_INSTRUCTIONS, MAX_TITLE

DEFAULT_TITLE = "New chat"

T = TypeVar("T")


@dataclass(frozen=True, kw_only=True)
class CreateThread:
    title: str | None = None
    """Shown in the list; generated from the first exchange when not given."""
    model_id: str | None = None
    """One of the configured models; the default model when not given."""
    instructions: str | None = None
    """Sent to the model with every turn (not frozen into stored history)."""


async def create_thread(params: CreateThread, ctx: Context) -> Thread:
    if params.model_id is not None:
        await check_model_allowed(ctx, params.model_id)
    thread = Thread(
        owner_id=ctx.user_id,
        title=_title(params.title) if params.title is not None else DEFAULT_TITLE,
        model_id=checked_model_id(ctx, params.model_id),
        instructions=_instructions(params.instructions),
    )
    ctx.db.add(thread)
    await ctx.db.flush()
    ctx.events.add(ThreadCreated.of(thread))
    return thread


@dataclass(frozen=True, kw_only=True)
class UpdateThread:
    thread_id: str
    """The thread to change; another user's is `NotFound`."""
    title: str | None = None
    """A new title, 1 to `MAX_TITLE` characters; None leaves it."""
    model_id: str | None = None
    """A new model for the next turns; the history carries over."""
    instructions: str | None = None
    """New instructions; an empty string removes them."""
    archived: bool | None = None
    """Archive (True) or restore (False)."""


async def update_thread(params: UpdateThread, ctx: Context) -> Thread:
    thread = await get_owned_thread(params.thread_id, ctx)
    if params.title is not None:
        thread.title = _title(params.title)
    if params.model_id is not None:
        await check_model_allowed(ctx, params.model_id)
        thread.model_id = checked_model_id(ctx, params.model_id)
    if params.instructions is not None:
        thread.instructions = _instructions(params.instructions)
    if params.archived is not None:
        thread.status = ThreadStatus.ARCHIVED if params.archived else ThreadStatus.ACTIVE
    await ctx.db.flush()
    ctx.events.add(ThreadUpdated.of(thread))
    return thread


@dataclass(frozen=True, kw_only=True)
class DeleteThread:
    thread_id: str
    """The thread to delete, with all its messages; another user's is `NotFound`."""


async def delete_thread(params: DeleteThread, ctx: Context) -> None:
    thread = await get_owned_thread(params.thread_id, ctx)
    ctx.events.add(ThreadDeleted.of(thread))
    # Messages go by the foreign key's ON DELETE CASCADE, in the same statement.
    await ctx.db.execute(delete(Thread).where(Thread.id == thread.id))


async def get_thread(thread_id: str, ctx: Context) -> Thread:
    """One of the acting user's threads; `NotFound` for anyone else's."""
    return await get_owned_thread(thread_id, ctx)


@dataclass(frozen=True, kw_only=True)
class ListThreads:
    """The acting user's threads."""

    limit: int = 50
    """Page size, 1 to 100."""
    cursor: str | None = None
    """`next_cursor` of the previous page."""
    status: ThreadStatus | None = None
    """Only active or only archived threads; both when None."""


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    items: list[T]
    """This page's rows."""
    next_cursor: str | None
    """Pass it back for the next page; None on the last one."""


async def list_threads(params: ListThreads, ctx: Context) -> Page[Thread]:
    """Most recently active first, keyset-paginated on (last_activity_at, id), so rows
    added while paging neither repeat nor shift the later pages."""
    limit = check_limit(params.limit)
    stmt = select(Thread).where(Thread.owner_id == ctx.user_id)
    if params.status is not None:
        stmt = stmt.where(Thread.status == params.status)
    if params.cursor is not None:
        at, thread_id = decode_cursor(params.cursor, 2)
        last_at = _parse_time(at)
        stmt = stmt.where(
            or_(
                Thread.last_activity_at < last_at,
                and_(Thread.last_activity_at == last_at, Thread.id < thread_id),
            )
        )
    stmt = stmt.order_by(Thread.last_activity_at.desc(), Thread.id.desc()).limit(limit + 1)
    rows = list(await ctx.db.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = encode_cursor(rows[-1].last_activity_at.isoformat(), rows[-1].id) if more else None
    return Page(items=rows, next_cursor=cursor)


def _parse_time(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput("The cursor is not valid.", field="cursor") from None
    if parsed.tzinfo is None:
        raise InvalidInput("The cursor is not valid.", field="cursor")
    return parsed


def checked_model_id(ctx: Context, model_id: str | None) -> str | None:
    """A configured model's id (`UnknownModel` otherwise); the default when None."""
    if ctx.models is None:
        return model_id
    return ctx.models.get(model_id or ctx.models.default_id).id


def _title(value: str) -> str:
    title = " ".join(value.split())
    if not 1 <= len(title) <= MAX_TITLE:
        raise InvalidInput(f"The title must be 1 to {MAX_TITLE} characters.", field="title")
    return title


def _instructions(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    if len(value) > MAX_INSTRUCTIONS:
        raise InvalidInput(
            f"The instructions must be at most {MAX_INSTRUCTIONS} characters.",
            field="instructions",
        )
    return value
