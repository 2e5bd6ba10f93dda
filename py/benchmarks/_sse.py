"""A small incremental Server-Sent Events parser for the load client (bytes in, events out)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class SseEvent:
    event: str
    """The `event:` field; `message` when absent."""
    data: bytes
    """The `data:` lines, joined by newlines."""
    id: str | None
    """The `id:` field, when sent."""


class SseParser:
    """Feed it the bytes of a stream as they arrive; it returns the events they complete.
    Lines may end in `\\n` or `\\r\\n` (sse-starlette sends the latter)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[SseEvent]:
        self._buffer += chunk
        if b"\r" in self._buffer:
            # Kept together in the buffer, a `\r` at a chunk's end meets its `\n`.
            self._buffer = self._buffer.replace(b"\r\n", b"\n")
        *blocks, self._buffer = self._buffer.split(b"\n\n")
        return [e for e in map(_parse, blocks) if e is not None]


def _parse(block: bytes) -> SseEvent | None:
    event, event_id, data = "message", None, []
    for line in block.split(b"\n"):
        name, _, value = line.partition(b":")
        value = value.removeprefix(b" ")
        if name == b"data":
            data.append(value)
        elif name == b"event":
            event = value.decode()
        elif name == b"id":
            event_id = value.decode()
    if not data and event == "message":
        return None  # a comment (heartbeat) or an empty block
    return SseEvent(event=event, data=b"\n".join(data), id=event_id)
