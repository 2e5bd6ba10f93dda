"""Reading the loosely typed values of other services' exports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any


def as_dict(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: object) -> str | None:
    return value if isinstance(value, str) else None


def as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal | float) and value == int(value):
        return int(value)
    return None


def from_epoch(value: object) -> datetime | None:
    """Seconds since 1970 (ChatGPT, Open WebUI); milliseconds are recognised by size."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    seconds = float(value)
    if seconds > 1e11:  # milliseconds (1e11 s is the year 5138)
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def from_iso(value: object) -> datetime | None:
    """An ISO 8601 timestamp (Claude, ours); naive ones are taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def note(what: str) -> str:
    """What stands in for a part we do not import, so nothing vanishes silently."""
    return f"*[{what} not imported]*"


def join_parts(parts: list[str]) -> str:
    return "\n\n".join(part for part in parts if part.strip())
