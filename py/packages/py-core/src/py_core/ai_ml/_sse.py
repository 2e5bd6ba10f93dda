"""Server-sent events cut from raw bytes: the `data` of each complete event, undecoded.

```python
decoder = SSEDecoder()
decoder.feed(b'data: {"a": 1}\n\ndata: {"b"')   # [b'{"a": 1}']
decoder.feed(b": 2}\n\n")                        # [b'{"b": 2}']
```

Only `data` matters to a chat completions stream; the other fields (`event`, `id`, `retry`)
and comments are skipped.
"""

from __future__ import annotations


class SSEDecoder:
    """Splits a byte stream into events, however the network cut it."""

    def __init__(self) -> None:
        self._partial_line = b""
        self._data: list[bytes] = []

    def feed(self, chunk: bytes) -> list[bytes]:
        """The data of every event that `chunk` completes, in order."""
        lines = (self._partial_line + chunk).split(b"\n")
        self._partial_line = lines.pop()
        events: list[bytes] = []
        for line in lines:
            if line.endswith(b"\r"):
                line = line[:-1]
            if not line:
                if self._data:
                    events.append(b"\n".join(self._data))
                    self._data = []
            elif line.startswith(b"data:"):
                value = line[5:]
                self._data.append(value[1:] if value.startswith(b" ") else value)
        return events

    def close(self) -> list[bytes]:
        """The data of an event the stream ended without a blank line after."""
        return self.feed(b"\n\n") if self._partial_line or self._data else []
