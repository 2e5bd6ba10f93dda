"""Consumer groups over the in-process domain stream, with Redis's delivery rules."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from py_core.events._base import (
    BusSettings,
    DeadLetter,
    DeadLetterReason,
    Delivery,
    parse_stream_id,
)
from py_core.events._memory_streams import MemoryStream, StreamIdPair, format_id
from py_core.events.types import Event


@dataclass(kw_only=True)
class _Pending:
    consumer: str
    delivered_at: float
    deliveries: int


@dataclass(kw_only=True)
class _Group:
    last_delivered: StreamIdPair = (0, 0)
    pending: dict[StreamIdPair, _Pending] = field(default_factory=dict)


@dataclass(kw_only=True)
class _DeadLetterEntry:
    stream_id: str
    letter: DeadLetter


class MemoryGroups:
    """The groups of one domain stream, and its dead-letter stream."""

    def __init__(self, stream: MemoryStream, *, settings: BusSettings) -> None:
        self._stream = stream
        self._settings = settings
        self._groups: dict[str, _Group] = {}
        self._dead = MemoryStream(maxlen=settings.dead_letter_maxlen)
        self._letters: dict[str, DeadLetter] = {}

    def read(self, group_name: str, consumer: str, count: int) -> list[Delivery]:
        group = self._groups.setdefault(group_name, _Group())
        deliveries = self._claim_idle(group_name, group, consumer, count)
        if deliveries:
            return deliveries
        now = time.monotonic()
        for stream_id, event in self._stream.after(group.last_delivered, count):
            pair = parse_stream_id(stream_id)
            group.last_delivered = pair
            group.pending[pair] = _Pending(consumer=consumer, delivered_at=now, deliveries=1)
            deliveries.append(Delivery(stream_id=stream_id, event=event, deliveries=1))
        return deliveries

    def ack(self, group_name: str, stream_ids: list[str]) -> None:
        group = self._groups.get(group_name)
        if group is not None:
            for stream_id in stream_ids:
                group.pending.pop(parse_stream_id(stream_id), None)

    def dead_letters(self, count: int) -> list[DeadLetter]:
        return [self._letters[stream_id] for stream_id, _ in self._dead.after((0, 0), count)]

    def _claim_idle(
        self, group_name: str, group: _Group, consumer: str, count: int
    ) -> list[Delivery]:
        now = time.monotonic()
        claimed: list[Delivery] = []
        for pair in sorted(group.pending):
            if len(claimed) >= count:
                break
            pending = group.pending[pair]
            if now - pending.delivered_at < self._settings.claim_idle:
                continue
            event = self._stream.get(pair)
            if event is None:  # trimmed while pending: nothing left to deliver
                del group.pending[pair]
                continue
            if pending.deliveries >= self._settings.max_deliveries:
                del group.pending[pair]
                self._bury(group_name, pair, event, pending.deliveries, "max_deliveries")
                continue
            pending.consumer = consumer
            pending.delivered_at = now
            pending.deliveries += 1
            claimed.append(
                Delivery(stream_id=format_id(pair), event=event, deliveries=pending.deliveries)
            )
        return claimed

    def _bury(
        self,
        group_name: str,
        pair: StreamIdPair,
        event: Event,
        deliveries: int,
        reason: DeadLetterReason,
    ) -> None:
        # The dead-letter stream holds the event, so a trimmed entry id is enough to
        # find the letter; letters of trimmed entries are forgotten with them.
        stream_id = self._dead.append(event)
        self._letters[stream_id] = DeadLetter(
            stream_id=stream_id,
            original_id=format_id(pair),
            group=group_name,
            deliveries=deliveries,
            reason=reason,
            payload=event.model_dump_json(),
        )
        retained = {format_id(p) for p in self._dead.ids}
        for old in [key for key in self._letters if key not in retained]:
            del self._letters[old]
