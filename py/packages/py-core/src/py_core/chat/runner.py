"""Runs replies as asyncio tasks: many at once (a reply mostly waits on its provider),
the rest queued in order.

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
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from py_core.ai_ml import ChatEngine
from py_core.chat._checkpoints import checkpoint
from py_core.chat._finish import INTERRUPTED, Outcome, finish
from py_core.chat._generation import Generation, LiveReply
from py_core.chat._settings import RunnerSettings
from py_core.chat.recovery import ping, recover_expired, renew_leases
from py_core.database.models import MessageStatus
from py_core.events import EventPublisher

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
    ) -> None:
        self.settings = settings or RunnerSettings()
        self._logger = logger or logging.getLogger("py_core.chat.runner")
        self._factory = session_factory
        self._generation = Generation(
            factory=session_factory,
            engine=engine,
            publisher=publisher,
            settings=self.settings,
            logger=self._logger,
        )
        # A semaphore's waiters are woken in order: queued replies start first come,
        # first served.
        self._slots = asyncio.Semaphore(self.settings.max_concurrent)
        self._accepted: set[str] = set()
        self._live: dict[str, LiveReply] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._janitor_task: asyncio.Task[None] | None = None
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()

    @property
    def running(self) -> int:
        """Replies streaming now."""
        return len(self._live)

    @property
    def queued(self) -> int:
        """Replies waiting for a free slot."""
        return len(self._accepted) - len(self._live)

    async def start(self) -> None:
        await recover_expired(self._factory, logger=self._logger)
        self._janitor_task = asyncio.create_task(self._janitor(), name="generation-janitor")

    def submit(self, message_id: str) -> None:
        """Write a pending reply. Call it after the transaction that stored it committed
        (`Context.after_commit` does). While stopping, the reply is left to recovery."""
        if self._closing:
            self._logger.warning("reply not started: the runner is stopping")
            return
        if message_id in self._accepted:
            return
        self._accepted.add(message_id)
        task = asyncio.create_task(self._generate(message_id), name=f"reply-{message_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel_local(self, message_id: str) -> bool:
        """Stop a reply streaming in this process; False if it runs elsewhere (or not at all)."""
        live = self._live.get(message_id)
        if live is None:
            return False
        live.cancel.set()
        return True

    async def stop(self) -> None:
        """Let running replies finish within the grace period, then interrupt the rest."""
        self._closing = True
        if self._live:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self.settings.shutdown_grace)
        tasks = [*self._tasks, *([self._janitor_task] if self._janitor_task else [])]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._janitor_task = None
        waiting = self._accepted - set(self._live)
        for message_id in waiting:
            outcome = Outcome(status=MessageStatus.FAILED, text="", error=INTERRUPTED)
            await finish(self._factory, message_id, outcome, logger=self._logger)
        self._accepted.clear()

    async def _generate(self, message_id: str) -> None:
        try:
            async with self._slots:
                live = self._live[message_id] = LiveReply()
                self._idle.clear()
                turn = await self._generation.start(message_id)
                if turn is not None:
                    await self._generation.run(turn, live)
        except asyncio.CancelledError:
            raise
        except Exception:
            self._logger.exception("generation failed", extra={"message_id": message_id})
        finally:
            self._accepted.discard(message_id)
            self._live.pop(message_id, None)
            if not self._live:
                self._idle.set()

    async def _janitor(self) -> None:
        """Checkpoints every tick; leases and recovery at their own, longer intervals.

        A lease that ran out while the database was out of reach proves nothing: no
        process could renew it. So after an upkeep failure, recovery waits until the
        database has answered again for a whole lease, time for every live process to
        renew what it holds (renewals come every `lease_renew_interval`, shorter than
        a lease; recovery runs more often than a lease lasts, so no outage long
        enough to expire a live lease goes unseen here).
        """
        settings = self.settings
        duration = timedelta(seconds=settings.lease_duration)
        loop = asyncio.get_running_loop()
        next_renewal = loop.time() + settings.lease_renew_interval
        next_recovery = loop.time() + settings.recovery_interval
        outage = False
        trust_leases_at = loop.time()
        while True:
            await asyncio.sleep(settings.checkpoint_interval)
            try:
                await checkpoint(self._factory, dict(self._live))
                if loop.time() >= next_renewal:
                    next_renewal = loop.time() + settings.lease_renew_interval
                    await renew_leases(self._factory, set(self._accepted), duration)
                if loop.time() >= next_recovery:
                    next_recovery = loop.time() + settings.recovery_interval
                    if outage:
                        await ping(self._factory)
                        outage = False
                        trust_leases_at = loop.time() + settings.lease_duration
                    elif loop.time() >= trust_leases_at:
                        await recover_expired(
                            self._factory, logger=self._logger, held=set(self._accepted)
                        )
            except Exception as exc:
                if outage:  # logged once per outage, not once per tick
                    self._logger.debug("reply upkeep still failing: %r", exc)
                else:
                    self._logger.exception("reply upkeep failed; retrying")
                outage = True
