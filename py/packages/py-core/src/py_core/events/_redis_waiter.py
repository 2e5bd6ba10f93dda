"""One blocking read per process for every subscriber following a stream on Redis.

A blocked `XREAD` holds its connection, and a read per subscriber per entry costs a
round trip each: with hundreds of open browser tabs, both run out (connections, then
time). So live subscribers register here once (a `Place` each), and one task reads all
their streams at once with one `XREAD` and hands each its entries: a wake of
any number of subscribers costs one round trip, and one more only when a stream may
have been trimmed past one of them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from redis.asyncio import Redis

from py_core.events._base import BusUnavailable, parse_stream_id

RawEntry = tuple[str, dict[str, str]]
"""An entry as Redis answers it: its id and its fields."""


@dataclass(eq=False, kw_only=True)
class Place:
    """A follower's place on one stream, kept by the shared reader."""

    key: str
    """The stream."""
    position: tuple[int, int]
    """The newest entry handed over (or the position it started after)."""
    pending: list[RawEntry] = field(default_factory=list[RawEntry])
    """Entries read for it, not yet taken."""
    trimmed: str | None = None
    """Set when entries after its position were trimmed before it could read them."""
    error: BusUnavailable | None = None
    """Set when the shared read failed (an outage)."""
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set when any of the three above changed."""


class SharedReader:
    """Reads every followed stream with one `XREAD` at a time and shares out the entries."""

    def __init__(
        self,
        client: Redis,
        *,
        tick: float,
        count: int,
        maxlen: int,
        trimmed_key: Callable[[str], str],
    ) -> None:
        self._client = client
        # A new follower joins the read in progress when it returns: at most `tick`
        # seconds later (the read blocks that long when nothing comes).
        self._tick_ms = max(1, int(tick * 1000))
        self._count = count
        # A read from a position that got fewer entries than this cannot have lost any
        # to trimming: a stream trims only when full, and then it is all newer entries.
        self._full = min(count, maxlen)
        self._trimmed_key = trimmed_key
        self._places: dict[str, set[Place]] = {}
        self._changed = asyncio.Event()
        """Set when a follower comes, goes or takes its entries."""
        self._task: asyncio.Task[None] | None = None

    def follow(self, key: str, *, after: str) -> Place:
        """Start following `key` after `after` (a canonical stream id)."""
        place = Place(key=key, position=parse_stream_id(after))
        self._places.setdefault(key, set()).add(place)
        self._changed.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._read(), name="redis shared reader")
        return place

    def leave(self, place: Place) -> None:
        places = self._places.get(place.key)
        if places is not None:
            places.discard(place)
            if not places:
                del self._places[place.key]
        self._changed.set()

    async def take(self, place: Place, *, block: float) -> list[RawEntry]:
        """The entries read for `place`, waiting up to `block` seconds for some;
        raises `BusUnavailable` after a failed read (the place is then dropped)."""
        if not (place.pending or place.trimmed or place.error):
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(block):
                    await place.ready.wait()
        if place.error is not None:
            self.leave(place)
            raise place.error
        place.ready.clear()
        entries, place.pending = place.pending, []
        self._changed.set()
        return entries

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    async def _read(self) -> None:
        while self._places:
            # From the lowest position on each stream, for the followers that have not
            # got a whole batch waiting already (a slow reader is not read for).
            starts: dict[str, tuple[int, int]] = {}
            for key, places in self._places.items():
                wanting = [
                    f.position for f in places if f.trimmed is None and len(f.pending) < self._count
                ]
                if wanting:
                    starts[key] = min(wanting)
            streams: dict[Any, Any] = {key: "{}-{}".format(*at) for key, at in starts.items()}
            if not streams:  # every follower has a batch to take first
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                found: Any = await self._client.xread(
                    streams, count=self._count, block=self._tick_ms
                )
                batches = {str(key): entries for key, entries in found or []}
                trimmed = await self._trimmed(
                    [key for key, entries in batches.items() if len(entries) >= self._full]
                )
            except Exception as exc:  # an outage: every follower hears of it
                self._fail(exc)
                return
            for key, entries in batches.items():
                self._share(key, starts[key], entries, trimmed.get(key))

    async def _trimmed(self, keys: list[str]) -> dict[str, str]:
        """The newest trimmed id of each stream that has one, in one round trip."""
        if not keys:
            return {}
        async with self._client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.get(self._trimmed_key(key))
            values: list[Any] = await pipe.execute()
        return {key: str(value) for key, value in zip(keys, values, strict=True) if value}

    def _share(
        self, key: str, start: tuple[int, int], entries: list[RawEntry], trimmed: str | None
    ) -> None:
        """Hand out a batch read after `start`. A follower further back (it joined
        while the read was on its way) gets nothing from it: the batch does not hold
        what came between its position and `start`; the next read starts from it."""
        ids = [parse_stream_id(str(stream_id)) for stream_id, _ in entries]
        for place in self._places.get(key, ()):
            if place.position < start:
                continue
            if trimmed is not None and parse_stream_id(trimmed) > place.position:
                place.trimmed = trimmed
                place.ready.set()
                continue
            fresh = [
                entry for entry, pair in zip(entries, ids, strict=True) if pair > place.position
            ]
            if fresh:
                place.pending.extend(fresh)
                place.position = ids[-1]
                place.ready.set()

    def _fail(self, error: Exception) -> None:
        unavailable = BusUnavailable(f"Redis: {type(error).__name__}: {error}")
        for places in self._places.values():
            for place in places:
                place.error = unavailable
                place.ready.set()
