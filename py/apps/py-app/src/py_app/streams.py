"""The event streams each user holds open, within `EVENT_STREAMS_PER_USER`.

Counted per process, in memory: behind a load balancer a user may hold the limit on
each instance. A stream holds its place from its first byte to its last, so a client
that goes away (or a stream the server ends) gives it back.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sse_starlette import EventSourceResponse
from starlette.types import Receive, Scope, Send

from py_app.errors import error_response


class OpenStreams:
    """How many event streams each user has open in this process."""

    def __init__(self, per_user: int) -> None:
        self.per_user = per_user
        self._open: Counter[str] = Counter()

    def try_open(self, user_id: str) -> bool:
        """Take a place for one more stream of the user; False when they hold them all."""
        if self._open[user_id] >= self.per_user:
            return False
        self._open[user_id] += 1
        return True

    def close(self, user_id: str) -> None:
        self._open[user_id] -= 1
        if self._open[user_id] <= 0:
            del self._open[user_id]

    def held(self, user_id: str) -> int:
        return self._open[user_id]


class LimitedEventSourceResponse(EventSourceResponse):
    """An event stream that takes one of its user's places when it starts, or answers
    429 instead. Taken in the response itself, not the handler: whatever happens
    between the two, a place is given back exactly when a stream it counts ends."""

    def __init__(self, content: Any, *, streams: OpenStreams, user_id: str, **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self._streams = streams
        self._user_id = user_id

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._streams.try_open(self._user_id):
            refusal = error_response(
                429,
                "too_many_streams",
                f"You already have {self._streams.per_user} event streams open; "
                "close one before opening another.",
            )
            await refusal(scope, receive, send)
            return
        try:
            await super().__call__(scope, receive, send)
        finally:
            self._streams.close(self._user_id)
