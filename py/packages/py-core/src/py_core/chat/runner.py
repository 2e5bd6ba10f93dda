"""Runs replies as asyncio tasks: a bounded number at once, the rest queued in order.

```python
runner = GenerationRunner(session_factory=factory, engine=engine, publisher=publisher)
await runner.start()                      # recovers replies a dead process left behind
runner.submit(turn.assistant_message.id)  # after the posting transaction committed
await runner.stop()                       # running replies finish or are interrupted
```
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine
from py_core.chat._finish import INTERRUPTED, Outcome, finish
from py_core.chat._generation import Generation, Turn
from py_core.chat._settings import RunnerSettings
from py_core.chat.recovery import recover_expired, renew_leases
from py_core.database.models import MessageStatus
from py_core.events import EventPublisher, StreamTrimmed
from py_core.events.types import MessageCancelRequested

__all__ = ["GenerationRunner", "RunnerSettings"]


class GenerationRunner:
    """Generates the replies submitted to it, in this process."""

    def __init__(
        self,
        *,
        session_factory: async_sessionmaker[AsyncSession],
        engine: ChatEngine,
        publisher: EventPublisher,
        settings: RunnerSettings | None = None,
        logger: logging.Logger | None = None,
        outbox_wake: Callable[[], None] | None = None,
    ) -> None:
        """`outbox_wake` is `OutboxRelay.wake`: final events go out right after commit."""
        self.settings = settings or RunnerSettings()
        self._logger = logger or logging.getLogger("py_core.chat.runner")
        self._factory = session_factory
        self._publisher = publisher
        self._generation = Generation(
            factory=session_factory,
            engine=engine,
            publisher=publisher,
            settings=self.settings,
            logger=self._logger,
            outbox_wake=outbox_wake,
        )
        self._wake = outbox_wake
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._accepted: set[str] = set()
        self._running: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        """Replies streaming now."""
        return len(self._running)

    @property
    def queued(self) -> int:
        """Replies waiting for a free slot."""
        return len(self._accepted) - len(self._running)

    async def start(self) -> None:
        await recover_expired(self._factory, logger=self._logger, wake=self._wake)
        self._tasks = [
            asyncio.create_task(self._worker(), name=f"generation-worker-{i}")
            for i in range(self.settings.max_concurrent)
        ]
        self._tasks.append(asyncio.create_task(self._janitor(), name="generation-janitor"))

    def submit(self, message_id: str) -> None:
        """Queue a pending reply. Call it after the transaction that stored it committed."""
        if self._closing:
            raise RuntimeError("the runner is stopping")
        self._accepted.add(message_id)
        self._queue.put_nowait(message_id)

    def cancel_local(self, message_id: str) -> bool:
        """Stop a reply streaming in this process; False if it runs elsewhere (or not at all)."""
        cancel = self._running.get(message_id)
        if cancel is None:
            return False
        cancel.set()
        return True

    async def stop(self) -> None:
        """Let running replies finish within the grace period, then interrupt the rest."""
        self._closing = True
        if self._running:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self.settings.shutdown_grace)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        waiting = self._accepted - set(self._running)
        for message_id in waiting:
            outcome = Outcome(status=MessageStatus.FAILED, text="", error=INTERRUPTED)
            await finish(self._factory, message_id, outcome, logger=self._logger, wake=self._wake)
        self._accepted.clear()

    async def _worker(self) -> None:
        while True:
            message_id = await self._queue.get()
            try:
                await self._generate(message_id)
            except Exception:
                self._logger.exception("generation failed", extra={"message_id": message_id})
            finally:
                self._accepted.discard(message_id)
                self._running.pop(message_id, None)
                if not self._running:
                    self._idle.set()

    async def _generate(self, message_id: str) -> None:
        cancel = asyncio.Event()
        self._running[message_id] = cancel
        self._idle.clear()
        turn = await self._generation.start(message_id)
        if turn is None:
            return
        watcher = asyncio.create_task(self._watch_for_cancel(turn, cancel))
        try:
            await self._generation.run(turn, cancel)
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def _watch_for_cancel(self, turn: Turn, cancel: asyncio.Event) -> None:
        """A stop may be asked for on any process; it arrives on the thread's stream."""
        after = turn.stream_position
        while not cancel.is_set():
            try:
                async for entry in self._publisher.subscribe(turn.thread_id, after=after):
                    after = entry.stream_id
                    event = entry.event
                    if isinstance(event, MessageCancelRequested) and (
                        event.message_id == turn.message_id
                    ):
                        cancel.set()
                        return
            except StreamTrimmed:
                # The watch fell behind the stream's retention (it reads as fast as
                # entries come, so only under extreme load): go on from the newest.
                after = await self._publisher.last_id(turn.thread_id)

    async def _janitor(self) -> None:
        duration = timedelta(seconds=self.settings.lease_duration)
        loop = asyncio.get_running_loop()
        next_recovery = loop.time() + self.settings.recovery_interval
        while True:
            await asyncio.sleep(self.settings.lease_renew_interval)
            try:
                await renew_leases(self._factory, set(self._accepted), duration)
                if loop.time() >= next_recovery:
                    next_recovery = loop.time() + self.settings.recovery_interval
                    await recover_expired(self._factory, logger=self._logger, wake=self._wake)
            except Exception:
                self._logger.exception("lease upkeep failed; retrying")
