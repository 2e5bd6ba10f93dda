"""Back-off across an outage, logged once when it starts and once when it ends."""

from __future__ import annotations

import asyncio
import logging

from py_core.events._base import BusSettings


class Reconnect:
    """One per loop that talks to the bus; `failed` sleeps, `succeeded` resets."""

    def __init__(self, *, what: str, settings: BusSettings, logger: logging.Logger) -> None:
        self._what = what
        self._initial = settings.retry_initial
        self._max = settings.retry_max
        self._logger = logger
        self._delay = self._initial
        self.failures = 0
        """Failures since the last success."""

    async def failed(self, error: BaseException) -> None:
        """Record a failure and wait before the next try."""
        self.failures += 1
        if self.failures == 1:
            self._logger.warning(
                "%s: event bus unreachable (%s); retrying with back-off", self._what, error
            )
        else:
            self._logger.debug("%s: still unreachable (%s)", self._what, error)
        await asyncio.sleep(self._delay)
        self._delay = min(self._delay * 2, self._max)

    def succeeded(self) -> None:
        if self.failures:
            self._logger.info(
                "%s: event bus reachable again after %d failed tries", self._what, self.failures
            )
        self.failures = 0
        self._delay = self._initial
