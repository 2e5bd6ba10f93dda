"""Event bus: publishing a burst of deltas, one by one and pipelined, and of durable
events; memory per thread."""

from __future__ import annotations

import tracemalloc

from benchmarks._report import figure, section, stopwatch
from py_core.database.utils import uuid7
from py_core.events import (
    BusSettings,
    EventBus,
    InProcessEventBus,
    MessageCompleted,
    MessageDelta,
    RedisEventBus,
)
from py_core_testing import services

BURST = 2_000


def _deltas(thread_id: str, count: int = BURST) -> list[MessageDelta]:
    return [
        MessageDelta(owner_id="u", thread_id=thread_id, message_id="m", seq=i, text="token ")
        for i in range(count)
    ]


def _completions(thread_id: str) -> list[MessageCompleted]:
    """Durable events: each one also sets its de-duplication key."""
    return [
        MessageCompleted(owner_id="u", thread_id=thread_id, message_id=f"m{i}", text="done")
        for i in range(BURST)
    ]


async def _measure(name: str, bus: EventBus) -> None:
    events = _deltas(uuid7().hex)
    with stopwatch() as one_by_one:
        for event in events:
            await bus.publish(event)
    figure(f"{name}: publish() one at a time", BURST / one_by_one[0], "events/s")
    events = _deltas(uuid7().hex)
    with stopwatch() as pipelined:
        for start in range(0, BURST, 100):
            await bus.publish_many(events[start : start + 100])
    figure(f"{name}: publish_many() batches of 100", BURST / pipelined[0], "events/s")
    durable = _completions(uuid7().hex)
    with stopwatch() as batched:
        for start in range(0, BURST, 100):
            await bus.publish_many(durable[start : start + 100])
    figure(f"{name}: durable, batches of 100", BURST / batched[0], "events/s")


async def _memory_per_thread() -> None:
    threads, per_thread = 2_000, 50
    bus = InProcessEventBus(settings=BusSettings(thread_maxlen=per_thread))
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for t in range(threads):
        thread_id = f"t{t}"
        await bus.publish_many(_deltas(thread_id, per_thread * 2))  # twice the cap
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    used = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    figure(
        f"in-process: memory, {threads} threads x cap {per_thread}",
        used / threads / 1024,
        "KiB/thread",
        "(each thread published twice its cap)",
    )
    await bus.close()


async def run() -> None:
    section(f"event bus (burst of {BURST} deltas)")
    memory = InProcessEventBus(settings=BusSettings(namespace=f"bench:{uuid7().hex}"))
    await _measure("in-process", memory)
    await memory.close()
    await _memory_per_thread()
    if await services.redis_error() is None:
        redis = RedisEventBus(
            services.REDIS_URL, settings=BusSettings(namespace=f"bench:{uuid7().hex}")
        )
        await _measure("redis", redis)
        await redis.close()
    else:
        print("  redis: not reachable, skipped")
