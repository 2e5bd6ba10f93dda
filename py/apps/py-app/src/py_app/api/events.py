"""`GET /api/v1/threads/{id}/events`: the thread's events as Server-Sent Events.

Each event carries `id:` (its position on the thread's stream), `event:` (its type)
and `data:` (its JSON). A client resumes with `Last-Event-ID` (EventSource sends it on
reconnect) or `?last_event_id=`: it gets every event after that id, none twice. With
neither, it first gets what the bus retains for the thread (so a client arriving mid-
reply sees the text so far), then live events. If the id is older than what is
retained, it gets a `resync` event (reload the messages from the API), the end of the
thread's newest reply when it has ended, and live events.
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from sse_starlette import EventSourceResponse, ServerSentEvent

from py_app.api.schemas import AUTHENTICATED_ERRORS, error_responses
from py_app.deps import OwnedThread, RuntimeDep, get_auth
from py_app.errors import ApiError
from py_app.runtime import Runtime
from py_app.streams import LimitedEventSourceResponse
from py_core.chat import get_thread
from py_core.chat.resync import latest_reply_outcome
from py_core.database import session_scope
from py_core.errors import DomainError, InvalidInput
from py_core.events import START, StreamTrimmed, normalise_after

router = APIRouter(prefix="/api/v1/threads", tags=["events"], responses=AUTHENTICATED_ERRORS)

_STREAM_ID = re.compile(r"^\d{1,20}(?:-\d{1,20})?$")


@router.get(
    "/{thread_id}/events",
    response_class=EventSourceResponse,
    responses={200: {"content": {"text/event-stream": {}}}, **error_responses(429)},
)
async def thread_events(
    request: Request,
    thread: OwnedThread,
    runtime: RuntimeDep,
    last_event_id_header: Annotated[
        str | None, Header(alias="Last-Event-ID", max_length=64)
    ] = None,
    last_event_id: Annotated[str | None, Query(max_length=64)] = None,
) -> EventSourceResponse:
    after = _position(last_event_id_header or last_event_id)
    return LimitedEventSourceResponse(
        _stream(runtime, thread.id, after, _Recheck(request, runtime, thread.id)),
        streams=runtime.open_streams,
        user_id=thread.owner_id,
        ping=runtime.settings.sse_heartbeat_seconds,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _position(value: str | None) -> str:
    if value is None or not value.strip():
        return START
    value = value.strip()
    if _STREAM_ID.match(value):
        with contextlib.suppress(ValueError):  # out of the range the bus can read
            return normalise_after(value)
    raise InvalidInput("Last-Event-ID is not an event id.", field="last_event_id")


class _Recheck:
    """Authentication happens when a stream opens; a stream can stay open for hours.
    So before sending, now and then, the request's credentials and the thread are
    checked again, as a new request would check them."""

    def __init__(self, request: Request, runtime: Runtime, thread_id: str) -> None:
        self._request = request
        self._runtime = runtime
        self._thread_id = thread_id
        self._interval = runtime.settings.sse_recheck_seconds
        self._last = time.monotonic()

    async def still_allowed(self) -> bool:
        if time.monotonic() - self._last < self._interval:
            return True
        self._last = time.monotonic()
        try:
            async with session_scope(self._runtime.sessions) as session:
                ctx = self._runtime.context(session)
                auth = await get_auth(self._request, self._runtime, ctx)
                await get_thread(self._thread_id, ctx.as_user(auth.user))
        except (DomainError, ApiError):
            return False
        return True


async def _resync(runtime: Runtime, thread_id: str, position: str) -> list[ServerSentEvent]:
    """A `resync` from `position` (the newest id), and the end of the thread's newest
    reply when it has one: the relay may have published it before `position` (after a
    Redis restart, the stream starts anew with what the outbox still held), so a client
    that goes on from the resync without reloading would never hear that it ended.

    With nothing retained there is no id to give: `id:` is empty, which resets the
    client's `Last-Event-ID`, so a reconnect starts from what the bus retains (never
    the pseudo-id `0-0`).
    """
    async with session_scope(runtime.sessions) as session:
        final = await latest_reply_outcome(session, thread_id)
    event_id = "" if position == START else position
    events = [
        ServerSentEvent(
            id=event_id,
            event="resync",
            data=json.dumps({"thread_id": thread_id, "last_event_id": event_id or None}),
        )
    ]
    if final is not None:
        data = final.model_dump_json(exclude={"owner_id"})
        events.append(ServerSentEvent(id=event_id, event=final.type, data=data))
    return events


async def _stream(
    runtime: Runtime, thread_id: str, after: str, recheck: _Recheck
) -> AsyncIterator[ServerSentEvent]:
    publisher = runtime.publisher
    runtime.metrics.open_streams.inc()
    try:
        position = after
        while True:
            try:
                async for entry in publisher.subscribe(thread_id, after=position):
                    position = entry.stream_id
                    event = entry.event
                    if not await recheck.still_allowed():
                        return
                    yield ServerSentEvent(
                        id=entry.stream_id,
                        event=event.type,
                        data=event.model_dump_json(exclude={"owner_id"}),
                    )
                    if event.type == "thread.deleted":
                        return
            except StreamTrimmed:
                position = await publisher.last_id(thread_id)
                for resync in await _resync(runtime, thread_id, position):
                    yield resync
    finally:
        runtime.metrics.open_streams.dec()
