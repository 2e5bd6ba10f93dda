"""What both buses share: settings, the entries they hand out, errors, stream ids."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from py_core.events.types import Event

START = "0-0"
"""The position before every entry: `after=START` (or `"0"`) reads all that is retained."""


DEFAULT_MAX_CONNECTIONS = 50
"""Redis connections one process opens at most by default: the shared read of every
live subscriber holds one, publishers (a delta of each streaming reply) and the outbox
relay share the rest, each for one round trip at a time."""


@dataclass(frozen=True, kw_only=True)
class BusSettings:
    """Retention, de-duplication and retry knobs; the defaults suit production, tests
    shrink them."""

    namespace: str = "events"
    """Prefix of every key (Redis) or name (in-process); tests use one each."""
    thread_maxlen: int = 1_000
    """Entries kept per thread stream; older ones are trimmed."""
    thread_ttl: float = 3_600.0
    """Seconds after its last event when a thread's stream is dropped altogether."""
    dedupe_ttl: float = 3_600.0
    """Seconds a durable event's id is remembered, so a re-publication is dropped. A relay
    re-publishes within seconds of a crash; an outage delays the first publication only."""
    dedupe_maxlen: int = 100_000
    """In-process: the most durable ids remembered at once, so a burst cannot grow memory
    for a whole `dedupe_ttl` (Redis expires its keys by `dedupe_ttl` alone)."""
    read_count: int = 100
    """Entries fetched per read."""
    read_block: float = 5.0
    """Seconds a subscriber's blocking read waits before it looks again."""
    wait_tick: float = 0.05
    """Redis: seconds the shared blocking read of live subscribers lasts, so the most a
    new subscriber can lag before it joins it."""
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    """Redis: connections this process may open at once; past them a command waits for
    one (live subscribers share one connection whatever their number)."""
    publish_attempts: int = 3
    """Tries of a publication before `BusUnavailable` is raised."""
    retry_initial: float = 0.1
    """First back-off after a lost connection, in seconds; doubles on each failure."""
    retry_max: float = 5.0
    """Longest back-off, in seconds."""


class StreamEntry(NamedTuple):
    """One event on a thread's stream."""

    stream_id: str
    """Its position on the stream ("<ms>-<seq>"): the SSE `id:`, the `after` of a resume."""
    event: Event
    """The event."""


class BusUnavailable(Exception):
    """The bus cannot be reached (Redis is down); nothing was published."""


class StreamTrimmed(Exception):
    """Entries after `after` are no longer retained: the caller must resync from the database."""

    def __init__(self, thread_id: str, after: str) -> None:
        super().__init__(f"events of thread {thread_id} after {after} are no longer retained")
        self.thread_id = thread_id
        self.after = after


MAX_STREAM_ID_PART = 2**64 - 1
"""Each half of a stream id is an unsigned 64-bit number on Redis, which refuses any
larger one; the in-process bus keeps the same range, so an id means the same on both."""
LAST_STREAM_ID = f"{MAX_STREAM_ID_PART}-{MAX_STREAM_ID_PART}"
"""The greatest stream id: no entry can come after it."""


def parse_stream_id(value: str) -> tuple[int, int]:
    """ "<ms>-<seq>" (or "<ms>") as a comparable pair; `ValueError` for anything else,
    a half above `MAX_STREAM_ID_PART` included."""
    ms, _, seq = value.partition("-")
    try:
        parsed = (int(ms), int(seq) if seq else 0)
    except ValueError:
        raise ValueError(f"not a stream id: {value!r}") from None
    if not all(0 <= part <= MAX_STREAM_ID_PART for part in parsed):
        raise ValueError(f"not a stream id (each half is 0 to 2^64-1): {value!r}")
    return parsed


def normalise_after(after: str) -> str:
    """A valid `after` in canonical form ("0" becomes "0-0")."""
    ms, seq = parse_stream_id(after)
    return f"{ms}-{seq}"
