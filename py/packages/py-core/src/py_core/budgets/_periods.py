"""Where a budget's period starts and ends: midnight to midnight, or the 1st to the
1st, in the configured time zone (so a team in Berlin starts its day at its midnight)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from py_core.database.models.budget import BudgetPeriod


@dataclass(frozen=True, kw_only=True)
class Window:
    """One period, as UTC instants."""

    start: datetime
    """Its first instant; usage from here on counts."""
    end: datetime
    """When it resets: the next period's first instant."""


def window(period: BudgetPeriod, now: datetime, time_zone: tzinfo) -> Window:
    """The period of `period` kind that holds `now`."""
    local = now.astimezone(time_zone)
    if period is BudgetPeriod.DAY:
        start = datetime(local.year, local.month, local.day, tzinfo=time_zone)
        following = start + timedelta(days=1)
        end = datetime(following.year, following.month, following.day, tzinfo=time_zone)
    else:
        start = datetime(local.year, local.month, 1, tzinfo=time_zone)
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        end = datetime(year, month, 1, tzinfo=time_zone)
    # Built from the wall clock, so a day with a daylight-saving change is 23 or 25 hours.
    return Window(start=start.astimezone(UTC), end=end.astimezone(UTC))
