"""Events: typed payloads, the bus (Redis Streams or in-process) and the outbox.

    from py_core.events import EventPublisher, ThreadUpdated
    ctx.events.add(ThreadUpdated.of(thread))        # sent after the commit

See py/docs/EVENTS.md for the catalogue and the guarantees.
"""

from py_core.events._consumer import DomainConsumer, Handler
from py_core.events.outbox import Outbox, OutboxRelay, RelaySettings
from py_core.events.publisher import (
    START,
    BusSettings,
    BusUnavailable,
    DeadLetter,
    Delivery,
    EventPublisher,
    InProcessEventPublisher,
    RedisEventPublisher,
    StreamEntry,
    StreamTrimmed,
    create_event_publisher,
)
from py_core.events.types import (
    EVENT_TYPES,
    Event,
    EventType,
    InvalidEvent,
    MessageCancelled,
    MessageCancelRequested,
    MessageCompleted,
    MessageCreated,
    MessageDelta,
    MessageFailed,
    ThreadCreated,
    ThreadDeleted,
    ThreadUpdated,
    UnknownEvent,
    Usage,
    parse_event,
)

__all__ = [
    "EVENT_TYPES",
    "START",
    "BusSettings",
    "BusUnavailable",
    "DeadLetter",
    "Delivery",
    "DomainConsumer",
    "Event",
    "EventPublisher",
    "EventType",
    "Handler",
    "InProcessEventPublisher",
    "InvalidEvent",
    "MessageCancelRequested",
    "MessageCancelled",
    "MessageCompleted",
    "MessageCreated",
    "MessageDelta",
    "MessageFailed",
    "Outbox",
    "OutboxRelay",
    "RedisEventPublisher",
    "RelaySettings",
    "StreamEntry",
    "StreamTrimmed",
    "ThreadCreated",
    "ThreadDeleted",
    "ThreadUpdated",
    "UnknownEvent",
    "Usage",
    "create_event_publisher",
    "parse_event",
]
