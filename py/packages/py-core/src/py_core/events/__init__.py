"""Events: typed payloads, the bus (Redis Streams or in-process) and the outbox.

    from py_core.events import EventBus, ThreadUpdated
    ctx.events.add(ThreadUpdated.of(thread))        # sent after the commit

`EventPublisher`, `InProcessEventPublisher`, `RedisEventPublisher` and
`create_event_publisher` are the guide's names for `EventBus`, `InProcessEventBus`,
`RedisEventBus` and `create_event_bus`: the same objects.

See py/docs/EVENTS.md for the catalogue and the guarantees.
"""

from py_core.events._relay import PublishedHook
from py_core.events.outbox import (
    Outbox,
    OutboxRelay,
    RelaySettings,
    publish_on_commit,
    wake_on_commit,
)
from py_core.events.publisher import (
    DEFAULT_MAX_CONNECTIONS,
    START,
    BusSettings,
    BusUnavailable,
    EventBus,
    EventPublisher,
    InProcessEventBus,
    InProcessEventPublisher,
    RedisEventBus,
    RedisEventPublisher,
    StreamEntry,
    StreamTrimmed,
    create_event_bus,
    create_event_publisher,
    normalise_after,
)
from py_core.events.types import (
    EVENT_TYPES,
    Event,
    EventType,
    InvalidEvent,
    MessageCancelled,
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
    "DEFAULT_MAX_CONNECTIONS",
    "EVENT_TYPES",
    "START",
    "BusSettings",
    "BusUnavailable",
    "Event",
    "EventBus",
    "EventPublisher",
    "EventType",
    "InProcessEventBus",
    "InProcessEventPublisher",
    "InvalidEvent",
    "MessageCancelled",
    "MessageCompleted",
    "MessageCreated",
    "MessageDelta",
    "MessageFailed",
    "Outbox",
    "OutboxRelay",
    "PublishedHook",
    "RedisEventBus",
    "RedisEventPublisher",
    "RelaySettings",
    "StreamEntry",
    "StreamTrimmed",
    "ThreadCreated",
    "ThreadDeleted",
    "ThreadUpdated",
    "UnknownEvent",
    "Usage",
    "create_event_bus",
    "create_event_publisher",
    "normalise_after",
    "parse_event",
    "publish_on_commit",
    "wake_on_commit",
]
