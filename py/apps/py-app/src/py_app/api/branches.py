"""A thread's branches: regenerate a reply, show another branch.

Editing a message is a post with a `parent_id` (`api/threads.py`).
"""

from __future__ import annotations

from fastapi import APIRouter

from py_app.api.schemas import (
    AUTHENTICATED_ERRORS,
    ActiveIn,
    MessageOut,
    RegenerateIn,
    ThreadOut,
    error_responses,
)
from py_app.deps import OwnedThread, UserContext, check_id
from py_core.chat import RegenerateReply, SwitchBranch, regenerate_reply, switch_branch

router = APIRouter(
    prefix="/api/v1/threads",
    tags=["threads"],
    responses={**AUTHENTICATED_ERRORS, **error_responses(409)},
)


@router.post("/{thread_id}/messages/{message_id}/regenerate", status_code=202)
async def regenerate_message(
    message_id: str, thread: OwnedThread, ctx: UserContext, body: RegenerateIn | None = None
) -> MessageOut:
    """Write a reply again, as a new version beside it (the old one stays, as a
    branch); answers at once with the new pending reply, which streams on the thread's
    events like a post's. 422 for a user message, 409 while a reply is unfinished."""
    reply = await regenerate_reply(
        RegenerateReply(
            thread_id=thread.id,
            message_id=check_id(message_id, "message"),
            model_id=body.model if body is not None else None,
        ),
        ctx,
    )
    return MessageOut.of(reply)


@router.put("/{thread_id}/active")
async def put_active_branch(body: ActiveIn, thread: OwnedThread, ctx: UserContext) -> ThreadOut:
    """Show another branch: the newest message under `message_id` becomes the active
    leaf (a `thread.updated` event tells the other tabs). Allowed while a reply
    streams; it finishes on its own branch."""
    switched = await switch_branch(
        SwitchBranch(thread_id=thread.id, message_id=check_id(body.message_id, "message")), ctx
    )
    return ThreadOut.of(switched)
