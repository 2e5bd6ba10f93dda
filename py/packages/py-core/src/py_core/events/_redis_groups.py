"""Consumer groups on the Redis domain stream: claim of idle entries, dead-lettering."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from py_core.events._base import BusSettings, DeadLetter, DeadLetterReason, Delivery
from py_core.events.types import InvalidEvent, parse_event


@dataclass(frozen=True, kw_only=True)
class RedisKeys:
    """Where everything lives, under one namespace."""

    namespace: str
    """The prefix of every key."""

    def thread(self, thread_id: str) -> str:
        return f"{self.namespace}:thread:{thread_id}"

    def trimmed(self, thread_id: str) -> str:
        """The newest id trimmed from the thread's stream; expires with it."""
        return f"{self.namespace}:thread:{thread_id}:trimmed"

    def seen(self, event_id: str) -> str:
        return f"{self.namespace}:seen:{event_id}"

    @property
    def domain(self) -> str:
        return f"{self.namespace}:domain"

    @property
    def dead(self) -> str:
        return f"{self.namespace}:domain:dead"


class RedisGroups:
    """Reads for consumers of groups; raises Redis's errors (the caller converts them)."""

    def __init__(self, client: Redis, *, keys: RedisKeys, settings: BusSettings) -> None:
        self._client = client
        self._keys = keys
        self._settings = settings
        self._created: set[str] = set()

    async def read(
        self, group: str, consumer: str, *, count: int, block: float | None
    ) -> list[Delivery]:
        try:
            return await self._read(group, consumer, count=count, block=block)
        except ResponseError as exc:
            if "NOGROUP" not in str(exc):
                raise
            # The stream (and its groups) went away, e.g. a flushed Redis: start again.
            self._created.discard(group)
            return await self._read(group, consumer, count=count, block=block)

    async def _read(
        self, group: str, consumer: str, *, count: int, block: float | None
    ) -> list[Delivery]:
        await self._ensure_group(group)
        deliveries = await self._claim_idle(group, consumer, count)
        if deliveries:
            return deliveries
        response: Any = await self._client.xreadgroup(
            group,
            consumer,
            {self._keys.domain: ">"},
            count=count,
            block=None if not block else max(1, int(block * 1000)),
        )
        for _stream, entries in response or []:
            for stream_id, fields in stream_entries(entries):
                delivery = await self._deliver(group, stream_id, fields, deliveries=1)
                if delivery is not None:
                    deliveries.append(delivery)
        return deliveries

    async def _ensure_group(self, group: str) -> None:
        if group in self._created:
            return
        try:
            # From "0": a group created after events were published still gets them.
            await self._client.xgroup_create(self._keys.domain, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._created.add(group)

    async def _claim_idle(self, group: str, consumer: str, count: int) -> list[Delivery]:
        idle_ms = int(self._settings.claim_idle * 1000)
        pending: Any = await self._client.xpending_range(
            self._keys.domain, group, min="-", max="+", count=count, idle=idle_ms
        )
        if not pending:
            return []
        delivered = {str(p["message_id"]): int(p["times_delivered"]) for p in pending}
        # XCLAIM re-checks the idle time, so of two consumers claiming at once one wins;
        # entries trimmed meanwhile are dropped from the group by Redis and not returned.
        claimed: Any = await self._client.xclaim(
            self._keys.domain, group, consumer, min_idle_time=idle_ms, message_ids=list(delivered)
        )
        deliveries = []
        for stream_id, fields in stream_entries(claimed):
            times = delivered[stream_id]
            if times >= self._settings.max_deliveries:
                await self._bury(group, stream_id, fields, times, "max_deliveries")
                continue
            delivery = await self._deliver(group, stream_id, fields, deliveries=times + 1)
            if delivery is not None:
                deliveries.append(delivery)
        return deliveries

    async def _deliver(
        self, group: str, stream_id: str, fields: dict[str, str], *, deliveries: int
    ) -> Delivery | None:
        try:
            event = parse_event(fields.get("event", ""))
        except InvalidEvent:
            # It will never parse, however often it is delivered.
            await self._bury(group, stream_id, fields, deliveries, "unparseable")
            return None
        return Delivery(stream_id=stream_id, event=event, deliveries=deliveries)

    async def _bury(
        self,
        group: str,
        stream_id: str,
        fields: dict[str, str],
        deliveries: int,
        reason: DeadLetterReason,
    ) -> None:
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.xadd(
                self._keys.dead,
                {
                    "event": fields.get("event", ""),
                    "original_id": stream_id,
                    "group": group,
                    "deliveries": str(deliveries),
                    "reason": reason,
                },
                maxlen=self._settings.dead_letter_maxlen,
                approximate=False,
            )
            pipe.xack(self._keys.domain, group, stream_id)
            await pipe.execute()

    async def dead_letters(self, count: int) -> list[DeadLetter]:
        entries: Any = await self._client.xrange(self._keys.dead, count=count)
        return [
            DeadLetter(
                stream_id=stream_id,
                original_id=fields["original_id"],
                group=fields["group"],
                deliveries=int(fields["deliveries"]),
                reason="unparseable" if fields["reason"] == "unparseable" else "max_deliveries",
                payload=fields["event"],
            )
            for stream_id, fields in stream_entries(entries)
        ]


def stream_entries(raw: Any) -> list[tuple[str, dict[str, str]]]:
    """Entries as redis-py returns them (decoded), typed; entries it could not find
    (`(None, None)`, trimmed meanwhile) are left out."""
    return [
        (str(stream_id), {str(k): str(v) for k, v in fields.items()})
        for stream_id, fields in raw or []
        if stream_id is not None and fields is not None
    ]
