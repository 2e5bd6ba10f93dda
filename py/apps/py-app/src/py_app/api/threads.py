"""Threads and their messages: CRUD, keyset pages, search, posting a turn (or an edit),
stopping it."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from py_app.api.schemas import (
    AUTHENTICATED_ERRORS,
    MessageIn,
    MessageOut,
    PageOut,
    ThreadIn,
    ThreadOut,
    ThreadPatch,
    TurnOut,
    error_responses,
)
from py_app.deps import OwnedThread, UserContext, check_id
from py_core.chat import (
    ACTIVE_LEAF,
    CancelTurn,
    CreateThread,
    DeleteThread,
    ListMessages,
    ListThreads,
    PostMessage,
    SearchThreads,
    UpdateThread,
    cancel_turn,
    create_thread,
    delete_thread,
    list_messages,
    list_threads,
    post_message,
    search_threads,
    update_thread,
)
from py_core.database.models import ThreadStatus
from py_core.limits import MAX_QUERY

router = APIRouter(
    prefix="/api/v1/threads",
    tags=["threads"],
    responses={**AUTHENTICATED_ERRORS, **error_responses(409)},
)

Limit = Annotated[int, Query(ge=1, le=100)]


@router.get("")
async def get_threads(
    ctx: UserContext,
    limit: Limit = 50,
    cursor: Annotated[str | None, Query(max_length=500)] = None,
    status: Literal["active", "archived"] | None = None,
    q: Annotated[str | None, Query(max_length=MAX_QUERY, description="Search words")] = None,
) -> PageOut[ThreadOut]:
    """Most recently active first. With `q`, the threads whose title or messages
    contain every word (one page, no cursor)."""
    if q is not None:
        found = await search_threads(SearchThreads(query=q, limit=limit), ctx)
        items = [ThreadOut.of(h.thread, matched_message_id=h.message_id) for h in found]
        return PageOut(items=items, next_cursor=None)
    page = await list_threads(
        ListThreads(
            limit=limit,
            cursor=cursor,
            status=ThreadStatus(status) if status else None,
        ),
        ctx,
    )
    return PageOut(items=[ThreadOut.of(t) for t in page.items], next_cursor=page.next_cursor)


@router.post("", status_code=201)
async def post_thread(body: ThreadIn, ctx: UserContext) -> ThreadOut:
    thread = await create_thread(
        CreateThread(title=body.title, model_id=body.model, instructions=body.instructions),
        ctx,
    )
    return ThreadOut.of(thread)


@router.get("/{thread_id}")
async def get_thread(thread: OwnedThread) -> ThreadOut:
    return ThreadOut.of(thread)


@router.patch("/{thread_id}")
async def patch_thread(body: ThreadPatch, thread: OwnedThread, ctx: UserContext) -> ThreadOut:
    updated = await update_thread(
        UpdateThread(
            thread_id=thread.id,
            title=body.title,
            model_id=body.model,
            instructions=body.instructions,
            archived=body.archived,
        ),
        ctx,
    )
    return ThreadOut.of(updated)


@router.delete("/{thread_id}", status_code=204)
async def remove_thread(thread: OwnedThread, ctx: UserContext) -> Response:
    await delete_thread(DeleteThread(thread_id=thread.id), ctx)
    return Response(status_code=204)


@router.get("/{thread_id}/messages")
async def get_messages(
    thread: OwnedThread,
    ctx: UserContext,
    limit: Limit = 50,
    before: Annotated[str | None, Query(max_length=500)] = None,
) -> PageOut[MessageOut]:
    """The branch the thread shows: its newest `limit` messages (before the cursor),
    oldest first, each with its `siblings` (its other versions); `next_cursor` goes
    back towards the first message."""
    page = await list_messages(ListMessages(thread_id=thread.id, limit=limit, before=before), ctx)
    return PageOut(
        items=[MessageOut.of(m, page.siblings.get(m.id)) for m in page.items],
        next_cursor=page.next_cursor,
    )


@router.post("/{thread_id}/messages", status_code=202)
async def post_thread_message(body: MessageIn, thread: OwnedThread, ctx: UserContext) -> TurnOut:
    """Store the message and a pending reply, and answer at once; the reply streams
    on the thread's events (it starts once the request's transaction commits). With
    `parent_id`, the message starts a branch there (an edit). 409 while a reply of the
    thread is unfinished."""
    parent_id = body.parent_id if "parent_id" in body.model_fields_set else ACTIVE_LEAF
    if parent_id is not None and parent_id is not ACTIVE_LEAF:
        parent_id = check_id(parent_id, "message")
    turn = await post_message(
        PostMessage(thread_id=thread.id, content=body.content, parent_id=parent_id), ctx
    )
    return TurnOut(
        user_message=MessageOut.of(turn.user_message),
        assistant_message=MessageOut.of(turn.assistant_message),
    )


@router.post("/{thread_id}/messages/{message_id}/cancel")
async def cancel_message(message_id: str, thread: OwnedThread, ctx: UserContext) -> MessageOut:
    """Stop a reply, wherever it is being written. A pending one is cancelled at once;
    a streaming one ends `cancelled` with its partial text shortly after."""
    message = await cancel_turn(
        CancelTurn(thread_id=thread.id, message_id=check_id(message_id, "message")),
        ctx,
    )
    return MessageOut.of(message)
