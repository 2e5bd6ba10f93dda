"""The tools models may call, and the dependencies they receive.

Tools get a `TurnDeps` through pydantic-ai's `RunContext`, as operations get a `Context`:
nothing is reached for as a global, so a test passes its own clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic_ai import RunContext, Tool


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, kw_only=True)
class TurnDeps:
    """What tools may use during one turn."""

    timezone: str = "UTC"
    """The user's IANA time zone."""
    clock: Callable[[], datetime] = field(default=_utc_now)
    """The current instant, timezone-aware."""


def current_datetime(ctx: RunContext[TurnDeps]) -> str:
    """Get the current date, time and weekday in the user's time zone."""
    try:
        zone = ZoneInfo(ctx.deps.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        # An unknown zone from a browser must not fail the turn; UTC is always right.
        zone = ZoneInfo("UTC")
    now = ctx.deps.clock().astimezone(zone)
    return f"{now:%A %d %B %Y, %H:%M} ({zone.key}, {now.isoformat(timespec='seconds')})"


BUILTIN_TOOLS: tuple[Tool[TurnDeps], ...] = (Tool(current_datetime, takes_ctx=True),)
"""The tools every turn offers. Harmless: they read, never change anything."""
