"""The event bus: the `EventBus` interface and its two implementations.

Which one runs is configuration alone: `create_event_bus(REDIS_URL)` gives Redis
Streams when a URL is set and the in-process bus otherwise; both keep one contract
(tests/events/test_contract.py).

The guide names this module's class `EventPublisher` (`from py_core.events import
EventPublisher`); the bus publishes, reads and subscribes, so it is called `EventBus`
here and the guide's names stay as aliases of the same objects.
"""

from __future__ import annotations

import logging

from py_core.events._base import (
    DEFAULT_MAX_CONNECTIONS,
    START,
    BusSettings,
    BusUnavailable,
    StreamEntry,
    StreamTrimmed,
    normalise_after,
)
from py_core.events._interface import EventBus
from py_core.events._memory import InProcessEventBus
from py_core.events._redis import RedisEventBus

__all__ = [
    "DEFAULT_MAX_CONNECTIONS",
    "START",
    "BusSettings",
    "BusUnavailable",
    "EventBus",
    "EventPublisher",
    "InProcessEventBus",
    "InProcessEventPublisher",
    "RedisEventBus",
    "RedisEventPublisher",
    "StreamEntry",
    "StreamTrimmed",
    "create_event_bus",
    "create_event_publisher",
    "normalise_after",
]


def create_event_bus(
    redis_url: str | None,
    *,
    settings: BusSettings | None = None,
    logger: logging.Logger | None = None,
) -> EventBus:
    """Redis Streams when `redis_url` is set, the in-process bus otherwise."""
    if redis_url:
        return RedisEventBus(redis_url, settings=settings, logger=logger)
    return InProcessEventBus(settings=settings, logger=logger)


# The guide's names (python-packages-guide.md), the same objects under another name.
EventPublisher = EventBus
InProcessEventPublisher = InProcessEventBus
RedisEventPublisher = RedisEventBus
create_event_publisher = create_event_bus
