"""Column types and identifiers shared by every model.

uuid7 is written here rather than taken from a library because Python 3.11 has no
`uuid.uuid7` and we need RFC 9562's monotonic counter (method 1), which keeps ids
strictly increasing inside one millisecond, so keyset pagination by id is exact.
"""

from __future__ import annotations

import enum
import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import DateTime, Dialect, String
from sqlalchemy.types import TypeDecorator

__all__ = ["StringEnum", "UTCDateTime", "utcnow", "uuid7", "uuid7_str"]

_COUNTER_BITS = 12
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_lock = threading.Lock()
_last_ms = 0
_counter = 0


def _next_timestamp_and_counter() -> tuple[int, int]:
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            # Start low in the counter space so a burst has room to count up.
            _counter = int.from_bytes(os.urandom(2)) & (_COUNTER_MAX >> 1)
        elif _counter < _COUNTER_MAX:
            _counter += 1
        else:
            # Counter exhausted (or the clock went back): borrow the next millisecond.
            _last_ms += 1
            _counter = 0
        return _last_ms, _counter


def uuid7() -> uuid.UUID:
    """Return an RFC 9562 version 7 UUID, monotonic within this process."""
    unix_ms, counter = _next_timestamp_and_counter()
    rand_b = int.from_bytes(os.urandom(8)) & ((1 << 62) - 1)
    value = (unix_ms & ((1 << 48) - 1)) << 80
    value |= 0x7 << 76
    value |= counter << 64
    value |= 0b10 << 62
    value |= rand_b
    return uuid.UUID(int=value)


def uuid7_str() -> str:
    """Return `uuid7()` as its canonical 36-character string (sorts like the UUID)."""
    return str(uuid7())


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


E = TypeVar("E", bound=enum.Enum)


class StringEnum(TypeDecorator[E], Generic[E]):
    """Store an enum member's value as a plain string; load it back as the member.

    No database enum type is created, so adding a member needs no migration.
    Anything that is not a member of the enum is refused, on write and on read.
    """

    impl = String
    cache_ok = True

    def __init__(self, enum_class: type[E], length: int = 32) -> None:
        longest = max(len(str(member.value)) for member in enum_class)
        if longest > length:
            raise ValueError(f"{enum_class.__name__} has a value longer than {length} characters")
        super().__init__(length=length)
        self.enum_class = enum_class
        self.length = length

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not isinstance(value, self.enum_class):
            raise ValueError(
                f"{value!r} is not a {self.enum_class.__name__}; "
                f"expected one of {[m.name for m in self.enum_class]}"
            )
        return str(value.value)

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        if value is None:
            return None
        try:
            return self.enum_class(value)
        except ValueError:
            raise ValueError(
                f"database holds {value!r}, which is not a value of {self.enum_class.__name__}"
            ) from None

    def copy(self, **kw: Any) -> StringEnum[E]:
        return StringEnum(self.enum_class, length=self.length)

    @property
    def python_type(self) -> type[E]:
        return self.enum_class


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware timestamp on every database.

    SQLite has no time zone type and hands back naive values; they are stored in UTC,
    so they are marked as such on the way out. Naive values are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}; pass a timezone-aware value")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
