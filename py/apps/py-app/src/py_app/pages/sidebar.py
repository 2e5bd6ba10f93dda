"""The chat list beside every signed-in page: active chats by last activity, then the
archived ones."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends

from py_app.pages.templating import ViewerContext
from py_core.chat import ListThreads, list_threads
from py_core.database.models import Thread, ThreadStatus

# One page of each list; the page's script fetches the next ones from the API.
SIDEBAR_PAGE = 50


@dataclass(frozen=True, kw_only=True)
class Sidebar:
    """What the chat list shows when a page opens."""

    active: list[Thread]
    """The newest active chats, most recently active first."""
    active_cursor: str | None
    """The API cursor of the next active chats; None when all are shown."""
    archived: list[Thread]
    """The newest archived chats, listed after the active ones."""
    archived_cursor: str | None
    """The API cursor of the next archived chats."""


async def load_sidebar(ctx: ViewerContext) -> Sidebar:
    active = await list_threads(ListThreads(status=ThreadStatus.ACTIVE, limit=SIDEBAR_PAGE), ctx)
    archived = await list_threads(
        ListThreads(status=ThreadStatus.ARCHIVED, limit=SIDEBAR_PAGE), ctx
    )
    return Sidebar(
        active=active.items,
        active_cursor=active.next_cursor,
        archived=archived.items,
        archived_cursor=archived.next_cursor,
    )


SidebarDep = Annotated[Sidebar, Depends(load_sidebar)]
