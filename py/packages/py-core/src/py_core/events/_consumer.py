"""A background consumer of the domain stream: handle, then acknowledge."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from collections.abc import Awaitable, Callable

from py_core.database.utils import uuid7_str
from py_core.events._base import BusUnavailable
from py_core.events._interface import EventPublisher
from py_core.events._retry import Reconnect
from py_core.events.types import Event

Handler = Callable[[Event], Awaitable[None]]
"""Handles one event; raising leaves it unacknowledged, so it is delivered again."""


class DomainConsumer:
    """One consumer of a group: at-least-once, so handlers must tolerate a repeat
    (the event `id` is the same each time)."""

    def __init__(
        self,
        bus: EventPublisher,
        *,
        group: str,
        handler: Handler,
        name: str | None = None,
        logger: logging.Logger | None = None,
    ) -> None:
        self.bus = bus
        self.group = group
        # Unique per process, so a restarted process's leftovers are claimed, not resumed.
        self.name = name or f"{socket.gethostname()}-{os.getpid()}-{uuid7_str()[-12:]}"
        self._handler = handler
        self._logger = logger or logging.getLogger("py_core.events")
        self._task: asyncio.Task[None] | None = None

    async def process_once(self, *, block: float | None = None) -> int:
        """Read one batch, handle each event and acknowledge it; the number handled."""
        handled = 0
        for delivery in await self.bus.read_group(self.group, self.name, block=block):
            try:
                await self._handler(delivery.event)
            except Exception:
                self._logger.exception(
                    "consumer %s of %s failed on %s (delivery %d); it will be redelivered",
                    self.name,
                    self.group,
                    delivery.stream_id,
                    delivery.deliveries,
                )
                continue
            await self.bus.ack(self.group, [delivery.stream_id])
            handled += 1
        return handled

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"consumer {self.group}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _run(self) -> None:
        reconnect = Reconnect(
            what=f"consumer {self.name} of {self.group}",
            settings=self.bus.settings,
            logger=self._logger,
        )
        while True:
            try:
                await self.process_once(block=self.bus.settings.read_block)
            except BusUnavailable as exc:
                await reconnect.failed(exc)
                continue
            reconnect.succeeded()
