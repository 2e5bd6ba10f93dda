"""Tuning of the generation runner."""

from __future__ import annotations

from dataclasses import dataclass, field

from py_core.ai_ml.history import HistoryBudget
from py_core.ai_ml.types import DELTA_WINDOW
from py_core.database.utils import uuid7_str

LEASE_SECONDS = 30.0
"""How long an unfinished reply may go unheard of before recovery declares it dead:
the lease a reply gets when it is posted and each renewal alike, so a process that
dies before it renews anything loses its queued replies as quickly as its streaming
ones."""

DEFAULT_MAX_CONCURRENT = 500
"""Replies one process writes at once by default. A reply mostly waits on its provider
(about 60 KB of memory and no CPU while it waits), so this is sized for hundreds of
conversations; the provider's own rate limit is usually the real bound."""


@dataclass(frozen=True, kw_only=True)
class RunnerSettings:
    """How generations run. The defaults suit a chat UI; tests shrink the times."""

    max_concurrent: int = DEFAULT_MAX_CONCURRENT
    """Generations running at once in this process; the rest wait in order."""
    delta_interval: float = DELTA_WINDOW
    """Seconds between `message.delta` events of one reply (30-50 ms reads as smooth)."""
    delta_max_chars: int = 256
    """Publish sooner once this many characters are buffered."""
    checkpoint_interval: float = 1.0
    """Seconds between checkpoints: the partial text of every reply saved (so a crash
    loses little), and stops asked for on other processes read."""
    lease_duration: float = LEASE_SECONDS
    """How long a generation may go unheard of before recovery declares it dead."""
    lease_renew_interval: float = 10.0
    """How often this process renews the leases of its generations."""
    recovery_interval: float = 15.0
    """How often this process looks for generations whose lease has run out."""
    finish_retry_initial: float = 0.1
    """First wait, in seconds, before a reply's final write is tried again while the
    database is out of reach; doubles on each failure."""
    finish_retry_max: float = 2.0
    """Longest wait between two tries of a final write (tried until it succeeds)."""
    publish_timeout: float = 2.0
    """A live delta that cannot be published in this time is skipped (the final text
    still reaches everyone through the outbox)."""
    shutdown_grace: float = 10.0
    """On stop, how long running replies may take to finish before being interrupted."""
    history: HistoryBudget = field(default_factory=HistoryBudget)
    """How much of the thread's past goes with each turn."""
    worker_id: str = field(default_factory=uuid7_str)
    """Names this process in logs."""
