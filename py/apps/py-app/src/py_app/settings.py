"""The app's configuration, read from the environment (and a `.env` file when present).

Model configuration (`PY_APP_MODELS`, `PY_APP_MODELS_FILE`, provider keys) is read by
`py_core.ai_ml.load_model_catalog` from the same environment; it is not repeated here.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from py_core.ai_ml.pricing import to_nanos
from py_core.budgets import BudgetSettings, Limit
from py_core.chat import DEFAULT_MAX_CONCURRENT
from py_core.database import DEFAULT_DATABASE_URL
from py_core.database.models import BudgetPeriod, RegistrationMode
from py_core.events import DEFAULT_MAX_CONNECTIONS
from py_core.limits import MAX_IMPORT_BYTES


class Settings(BaseSettings):
    """Every setting has a default that works on a laptop with nothing installed."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    """`DATABASE_URL`: a SQLite file (migrated at start-up) or PostgreSQL (`make migrate`)."""
    redis_url: str | None = None
    """`REDIS_URL`: Redis Streams for events and shared rate limits; in-process when unset."""
    host: str = "127.0.0.1"
    """`HOST`: the address to listen on."""
    port: int = Field(default=8000, ge=0, le=65535)
    """`PORT`: the port to listen on."""
    workers: int = Field(default=1, ge=1, le=64)
    """`WORKERS`: processes serving the app on one port, each a whole instance (its own
    runner, relay and connections). More than one needs PostgreSQL and Redis, which
    they share; the embedded defaults (SQLite, in-process events) are one process."""
    forwarded_allow_ips: str = "127.0.0.1"
    """`FORWARDED_ALLOW_IPS`: proxies trusted for X-Forwarded-For / -Proto (uvicorn's)."""

    session_cookie_name: str = "py_app_session"
    """`SESSION_COOKIE_NAME`: the cookie that holds the browser session's secret."""
    session_lifetime_days: int = Field(default=14, ge=1, le=365)
    """`SESSION_LIFETIME_DAYS`: a session ends after this long without use."""
    cookie_secure: Literal["auto", "always", "never"] = "auto"
    """`COOKIE_SECURE`: `auto` marks the cookie Secure when the request came over HTTPS."""

    registration: RegistrationMode = RegistrationMode.OPEN
    """`REGISTRATION`: who may sign up: `open`, `invite` (with an invite link an
    administrator made) or `closed`. An administrator's choice on /admin overrides it."""
    admin_emails: Annotated[tuple[str, ...], NoDecode] = ()
    """`ADMIN_EMAILS`: comma-separated emails whose existing accounts are made
    administrators at start-up (an email with no account yet is only logged)."""

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    """`MAX_BODY_BYTES`: larger request bodies get 413."""
    login_limit_per_account: int = Field(default=10, ge=1)
    """`LOGIN_LIMIT_PER_ACCOUNT`: failed sign-ins on one email from one address per window."""
    login_limit_per_ip: int = Field(default=50, ge=1)
    """`LOGIN_LIMIT_PER_IP`: failed sign-ins from one client address per window."""
    register_limit_per_ip: int = Field(default=10, ge=1)
    """`REGISTER_LIMIT_PER_IP`: sign-ups per client address per window."""
    rate_limit_window_seconds: int = Field(default=300, ge=1)
    """`RATE_LIMIT_WINDOW_SECONDS`: the window of the limits above."""
    api_requests_per_minute: int = Field(default=60, ge=1)
    """`API_REQUESTS_PER_MINUTE`: `/v1` calls per account per minute (429 beyond)."""
    redis_key_prefix: str = "py-app:"
    """`REDIS_KEY_PREFIX`: namespace of the app's own Redis keys (rate limits)."""

    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    """`SSE_HEARTBEAT_SECONDS`: comment lines on idle event streams, for proxies."""
    event_streams_per_user: int = Field(default=20, ge=1)
    """`EVENT_STREAMS_PER_USER`: event streams one user may hold open on one process (a
    tab holds one per open chat); 429 beyond. Counted per process, not across instances."""
    sse_recheck_seconds: float = Field(default=30.0, ge=0)
    """`SSE_RECHECK_SECONDS`: an open event stream checks its credentials and the thread
    again before sending once this long has passed since the last check; a signed-out
    session, a revoked token or a deleted thread ends it."""
    log_level: str = "INFO"
    """`LOG_LEVEL`: the root log level."""
    log_format: Literal["json", "text"] = "text"
    """`LOG_FORMAT`: one JSON object per line, or readable text."""

    events_namespace: str = "events"
    """`EVENTS_NAMESPACE`: prefix of the event bus's keys (one per deployment)."""
    events_thread_maxlen: int = Field(default=1_000, ge=10)
    """`EVENTS_THREAD_MAXLEN`: events kept per thread for resuming streams."""
    redis_max_connections: int = Field(default=DEFAULT_MAX_CONNECTIONS, ge=2)
    """`REDIS_MAX_CONNECTIONS`: connections to Redis the event bus of one process opens
    at most (every open event stream shares one of them); past them a command waits."""
    max_concurrent_generations: int = Field(default=DEFAULT_MAX_CONCURRENT, ge=1)
    """`MAX_CONCURRENT_GENERATIONS`: replies written at once by one process."""
    shutdown_grace_seconds: float = Field(default=10.0, ge=0)
    """`SHUTDOWN_GRACE_SECONDS`: on stop, replies in flight may finish within this time;
    the rest are marked interrupted."""
    openai_api_keep_threads: bool = True
    """`OPENAI_API_KEEP_THREADS`: keep each `/v1/chat/completions` call as a thread in its
    owner's history; when false only its usage is recorded."""
    data_dir: Path = Path("./data")
    """`DATA_DIR`: where exports and uploaded imports are kept while their jobs need them
    (`exports/`, `imports/`); with several instances, a directory they all share."""
    export_retention_hours: int = Field(default=24, ge=1, le=24 * 30)
    """`EXPORT_RETENTION_HOURS`: how long a finished export can be downloaded."""
    max_import_bytes: int = Field(default=MAX_IMPORT_BYTES, ge=1024)
    """`MAX_IMPORT_BYTES`: a larger upload to `/api/v1/imports` gets 413 (py-core's
    `MAX_IMPORT_BYTES` unless lowered here)."""

    @field_validator("admin_emails", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(email.strip() for email in value.split(",") if email.strip())
        return value

    budget_day_tokens: int | None = Field(default=None, ge=0)
    """`BUDGET_DAY_TOKENS`: tokens (prompt and output) each user may spend per day; no
    limit when unset. An administrator's default on /admin replaces it."""
    budget_day_usd: Decimal | None = Field(default=None, ge=0)
    """`BUDGET_DAY_USD`: US dollars each user may spend per day."""
    budget_month_tokens: int | None = Field(default=None, ge=0)
    """`BUDGET_MONTH_TOKENS`: tokens each user may spend per calendar month."""
    budget_month_usd: Decimal | None = Field(default=None, ge=0)
    """`BUDGET_MONTH_USD`: US dollars each user may spend per calendar month."""
    budget_time_zone: str = "UTC"
    """`BUDGET_TIME_ZONE`: the IANA zone whose midnight starts a day (and whose 1st a
    month) for every budget, e.g. `Europe/Berlin`."""

    @field_validator("budget_time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (an IANA name)") from None
        return value

    def budgets(self) -> BudgetSettings:
        """The configured budgets, as py-core takes them."""
        defaults = {
            BudgetPeriod.DAY: Limit(
                max_tokens=self.budget_day_tokens,
                max_cost_nanos=None
                if self.budget_day_usd is None
                else to_nanos(self.budget_day_usd),
            ),
            BudgetPeriod.MONTH: Limit(
                max_tokens=self.budget_month_tokens,
                max_cost_nanos=(
                    None if self.budget_month_usd is None else to_nanos(self.budget_month_usd)
                ),
            ),
        }
        return BudgetSettings(
            defaults={period: limit for period, limit in defaults.items() if limit.is_limited},
            time_zone=ZoneInfo(self.budget_time_zone),
        )

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(days=self.session_lifetime_days)
