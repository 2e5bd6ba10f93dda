"""Publishing and subscribing: the `EventPublisher` interface and its two buses.

Which one runs is configuration alone: `create_event_publisher(REDIS_URL)` gives Redis
Streams when a URL is set and the in-process bus otherwise; both keep one contract
(tests/events/test_contract.py).
"""

from __future__ import annotations

import logging

from py_core.events._base import (
    START,
    BusSettings,
    BusUnavailable,
    DeadLetter,
    Delivery,
    StreamEntry,
    StreamTrimmed,
)
from py_core.events._interface import EventPublisher
from py_core.events._memory import InProcessEventPublisher
from py_core.events._redis import RedisEventPublisher

__all__ = [
    "START",
    "BusSettings",
    "BusUnavailable",
    "DeadLetter",
    "Delivery",
    "EventPublisher",
    "InProcessEventPublisher",
    "RedisEventPublisher",
    "StreamEntry",
    "StreamTrimmed",
    "create_event_publisher",
]


def create_event_publisher(
    redis_url: str | None,
    *,
    settings: BusSettings | None = None,
    logger: logging.Logger | None = None,
) -> EventPublisher:
    """Redis Streams when `redis_url` is set, the in-process bus otherwise."""
    if redis_url:
        return RedisEventPublisher(redis_url, settings=settings, logger=logger)
    return InProcessEventPublisher(settings=settings, logger=logger)
