"""The bus on Redis Streams: one capped, expiring stream per thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

from py_core.events._base import (
    LAST_STREAM_ID,
    START,
    BusSettings,
    BusUnavailable,
    StreamEntry,
    StreamTrimmed,
    normalise_after,
)
from py_core.events._interface import EventBus, Follower, has_gap
from py_core.events._redis_waiter import Place, SharedReader
from py_core.events._retry import Reconnect
from py_core.events.types import Event, InvalidEvent, parse_event

# One script per event, so the thread stream, its expiry and the de-duplication key
# change together or not at all. A durable event already seen returns its first
# stream id and appends nothing. Redis does not record the ids it trims
# (max-deleted-entry-id counts XDEL only), so the script keeps the newest trimmed id
# itself: a reader behind it has missed entries.
# KEYS: thread stream, seen key, trimmed key. ARGV: event JSON, thread_maxlen,
# thread_ttl (ms), durable ("1"/"0"), dedupe_ttl (ms).
_PUBLISH = """
if ARGV[4] == '1' then
  local seen = redis.call('GET', KEYS[2])
  if seen then return seen end
end
local maxlen = tonumber(ARGV[2])
local length = redis.call('XLEN', KEYS[1])
if length >= maxlen then
  local doomed = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', length - maxlen + 1)
  redis.call('SET', KEYS[3], doomed[#doomed][1])
end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', maxlen, '*', 'event', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
if ARGV[4] == '1' then
  redis.call('SET', KEYS[2], id, 'PX', ARGV[5])
end
return id
"""

CONNECTION_ERRORS = (RedisConnectionError, RedisTimeoutError, OSError)


@contextmanager
def unavailable_on_connection_error() -> Iterator[None]:
    """Turn Redis's connection failures into `BusUnavailable`, and re-raise a
    cancellation that redis-py swallowed.

    redis-py (8.x) can drop a `cancel()` that lands while it sends a command, or report
    it as a closed connection; a loop that goes on after that never stops (an SSE
    subscriber outliving its client). The task still counts the request, so ask it.
    """
    try:
        yield
    except CONNECTION_ERRORS as exc:
        _raise_if_cancelling()
        raise BusUnavailable(f"Redis: {type(exc).__name__}: {exc}") from exc
    _raise_if_cancelling()


def _raise_if_cancelling() -> None:
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


@dataclass(frozen=True, kw_only=True)
class RedisKeys:
    """Where everything lives, under one namespace."""

    namespace: str
    """The prefix of every key."""

    def thread(self, thread_id: str) -> str:
        return f"{self.namespace}:thread:{thread_id}"

    def trimmed(self, thread_id: str) -> str:
        """The newest id trimmed from the thread's stream; expires with it."""
        return self.trimmed_of(self.thread(thread_id))

    @staticmethod
    def trimmed_of(stream_key: str) -> str:
        """`trimmed` of the thread whose stream is `stream_key`."""
        return f"{stream_key}:trimmed"

    def seen(self, event_id: str) -> str:
        """The stream id of a durable event already published."""
        return f"{self.namespace}:seen:{event_id}"


class RedisEventBus(EventBus):
    """The bus on Redis (6.2 or newer)."""

    def __init__(
        self,
        url: str,
        *,
        settings: BusSettings | None = None,
        logger: logging.Logger | None = None,
        connect_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            settings=settings or BusSettings(), logger=logger or logging.getLogger("py_core.events")
        )
        # A bounded pool that makes a burst wait for a connection (up to
        # `connect_timeout`, then `BusUnavailable`) rather than refuse it at once.
        # Retries are ours (with back-off and a log line), not the client's silent ones.
        pool = BlockingConnectionPool.from_url(
            url,
            max_connections=self.settings.max_connections,
            timeout=connect_timeout,
            decode_responses=True,
            socket_connect_timeout=connect_timeout,
            socket_timeout=self.settings.read_block + 10,
            health_check_interval=15,
            retry=Retry(NoBackoff(), 0),
        )
        self.client: Redis = Redis.from_pool(pool)
        self.keys = RedisKeys(namespace=self.settings.namespace)
        self._publish = self.client.register_script(_PUBLISH)
        self._reader = SharedReader(
            self.client,
            tick=self.settings.wait_tick,
            count=self.settings.read_count,
            maxlen=self.settings.thread_maxlen,
            trimmed_key=RedisKeys.trimmed_of,
        )
        self._reconnect = Reconnect(what="publisher", settings=self.settings, logger=self.logger)
        self._outgoing: list[tuple[Event, asyncio.Future[str]]] = []
        self._sender: asyncio.Task[None] | None = None

    async def publish(self, event: Event) -> str:
        """One event; the calls made while a publication is on its way go together in
        the next one (one pipeline, one round trip for all of them). Each thread's
        order holds: a caller waits for its event before it publishes the next."""
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._outgoing.append((event, future))
        if self._sender is None or self._sender.done():
            self._sender = asyncio.create_task(self._send(), name="redis publisher")
        return await future

    async def _send(self) -> None:
        while self._outgoing:
            batch, self._outgoing = self._outgoing, []
            try:
                stream_ids = await self.publish_many([event for event, _ in batch])
            except BaseException as exc:
                closed = not isinstance(exc, Exception)  # cancelled: the bus is closing
                error = BusUnavailable("the event bus was closed") if closed else exc
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                if closed:
                    raise
                continue
            for (_, future), stream_id in zip(batch, stream_ids, strict=True):
                if not future.done():  # its caller may have stopped waiting
                    future.set_result(stream_id)

    async def publish_many(self, events: Sequence[Event]) -> list[str]:
        if not events:
            return []
        for attempt in range(1, self.settings.publish_attempts + 1):
            try:
                with unavailable_on_connection_error():
                    stream_ids = await self._publish_once(events)
            except BusUnavailable as exc:
                if attempt == self.settings.publish_attempts:
                    raise
                await self._reconnect.failed(exc)
                continue
            self._reconnect.succeeded()
            return stream_ids
        raise AssertionError("unreachable")  # pragma: no cover

    async def _publish_once(self, events: Sequence[Event]) -> list[str]:
        settings = self.settings
        async with self.client.pipeline(transaction=False) as pipe:
            for event in events:
                await self._publish(
                    keys=[
                        self.keys.thread(event.thread_id),
                        self.keys.seen(event.id),
                        self.keys.trimmed(event.thread_id),
                    ],
                    args=[
                        event.model_dump_json(),
                        settings.thread_maxlen,
                        _ms(settings.thread_ttl),
                        "1" if event.durable else "0",
                        _ms(settings.dedupe_ttl),
                    ],
                    client=pipe,
                )
            results: list[Any] = await pipe.execute()
        return [str(result) for result in results]

    async def last_id(self, thread_id: str) -> str:
        with unavailable_on_connection_error():
            newest: Any = await self.client.xrevrange(self.keys.thread(thread_id), count=1)
        return str(newest[0][0]) if newest else START

    async def read(
        self, thread_id: str, *, after: str, count: int | None = None
    ) -> list[StreamEntry]:
        after = normalise_after(after)
        key = self.keys.thread(thread_id)
        # In one transaction, so what XINFO says about trimming holds for what XRANGE reads.
        with unavailable_on_connection_error():
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.xinfo_stream(key)
                pipe.get(self.keys.trimmed(thread_id))
                pipe.xrange(key, min=_range_start(after), count=count or self.settings.read_count)
                info, trimmed, entries = await pipe.execute(raise_on_error=False)
        if isinstance(info, ResponseError):  # no such key: never written, or expired
            if after != START:
                raise StreamTrimmed(thread_id, after)
            return []
        # Asked not to raise, the pipeline hands errors back as values: never iterate one.
        for result in (info, trimmed, entries):
            if isinstance(result, Exception):
                raise result
        first = info.get("first-entry")
        if has_gap(after, first=first[0] if first else None, last_trimmed=trimmed or None):
            raise StreamTrimmed(thread_id, after)
        return self._parse(thread_id, entries)

    def _parse(self, thread_id: str, raw: Any) -> list[StreamEntry]:
        entries = []
        for stream_id, fields in raw or []:
            try:
                entries.append(StreamEntry(str(stream_id), parse_event(fields["event"])))
            except (InvalidEvent, KeyError) as exc:
                # Written by a newer release, most likely: skip it rather than stop the stream.
                self.logger.warning("skipping entry %s of thread %s: %s", stream_id, thread_id, exc)
        return entries

    def follow(self, thread_id: str, *, after: str) -> Follower:
        place = self._reader.follow(self.keys.thread(thread_id), after=normalise_after(after))
        return _RedisFollower(bus=self, thread_id=thread_id, place=place)

    async def close(self) -> None:
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._sender
        for _, future in self._outgoing:
            if not future.done():
                future.set_exception(BusUnavailable("the event bus was closed"))
        self._outgoing.clear()
        await self._reader.close()
        await self.client.aclose()


class _RedisFollower(Follower):
    """A subscriber's place in the bus's shared reader."""

    def __init__(self, *, bus: RedisEventBus, thread_id: str, place: Place) -> None:
        self._bus = bus
        self._thread_id = thread_id
        self._place = place

    async def next(self, block: float) -> list[StreamEntry]:
        with unavailable_on_connection_error():
            raw = await self._bus._reader.take(self._place, block=block)
        if raw:
            return self._bus._parse(self._thread_id, raw)
        if self._place.trimmed is not None:
            position = "{}-{}".format(*self._place.position)
            raise StreamTrimmed(self._thread_id, position)
        return []

    def close(self) -> None:
        self._bus._reader.leave(self._place)


def _range_start(after: str) -> str:
    """XRANGE's start for the entries after `after`: Redis refuses an exclusive start at
    the greatest id, so that one is `+` (nothing can follow it)."""
    if after == START:
        return "-"
    return "+" if after == LAST_STREAM_ID else f"({after}"


def _ms(seconds: float) -> int:
    return int(seconds * 1000)
