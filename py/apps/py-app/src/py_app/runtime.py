"""What the app builds at start-up and tears down at shutdown, in one object.

Handlers reach it through dependencies (`RuntimeDep`), never as a global, so a test
can run several apps side by side, each with its own database, bus and models.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from py_app.metrics import Metrics
from py_app.ratelimit import RateLimiter, create_rate_limiter
from py_app.settings import Settings
from py_app.streams import OpenStreams
from py_core.admin import promote_admin_emails
from py_core.ai_ml import ChatEngine, ModelCatalog
from py_core.budgets import DEFAULT_REPLY_TOKENS, BudgetSettings
from py_core.chat import GenerationRunner, RunnerSettings
from py_core.chat.completions import Completions
from py_core.context import Context
from py_core.database import create_engine, create_session_factory, session_scope
from py_core.database.base import is_sqlite
from py_core.database.migrate import upgrade_async
from py_core.events import (
    BusSettings,
    Event,
    EventPublisher,
    InProcessEventBus,
    MessageCompleted,
    OutboxRelay,
    create_event_publisher,
    publish_on_commit,
    wake_on_commit,
)
from py_core.portability import JobFiles, JobRunner, JobSettings

logger = logging.getLogger("py_app")

READY_TIMEOUT = 3.0


@dataclass(kw_only=True)
class Runtime:
    settings: Settings
    """The configuration it was built from."""
    engine: AsyncEngine
    """The database engine."""
    sessions: async_sessionmaker[AsyncSession]
    """Makes one session per request or job."""
    publisher: EventPublisher
    """The event bus: Redis Streams, or in-process."""
    relay: OutboxRelay
    """Publishes committed outbox rows to the bus."""
    catalog: ModelCatalog
    """The models offered."""
    chat_engine: ChatEngine
    """Answers every turn and `/v1` call of this process; built once."""
    runner: GenerationRunner
    """Writes the replies, in this process."""
    completions: Completions
    """Runs and records the `/v1` calls, on the same engine."""
    rate_limiter: RateLimiter
    """Counts sign-in and sign-up attempts."""
    open_streams: OpenStreams
    """The event streams each user has open in this process."""
    metrics: Metrics
    """This app's Prometheus registry."""
    files: JobFiles
    """Where exports and uploads are kept (`DATA_DIR`)."""
    jobs: JobRunner
    """Runs exports and imports, in this process (any instance may take any job)."""

    @property
    def budgets(self) -> BudgetSettings:
        """The configured budgets; a reply holds what the engine lets it write."""
        return self.completions.budgets

    def context(self, session: AsyncSession) -> Context:
        """The Context of one request's unit of work."""
        return Context(
            db=session,
            logger=logging.getLogger("py_core"),
            models=self.catalog,
            replies=self.runner,
            registration=self.settings.registration,
            budgets=self.budgets,
        )

    async def check_ready(self) -> dict[str, str]:
        """Each dependency's state: `ok`, or what is wrong."""
        return {
            "database": await _check(self._ping_database()),
            "events": await _check(self.publisher.last_id("readyz")),
        }

    async def _ping_database(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))


async def _check(probe: Awaitable[object]) -> str:
    try:
        await asyncio.wait_for(probe, READY_TIMEOUT)
    except Exception as exc:
        return f"unreachable: {type(exc).__name__}"
    return "ok"


async def start_runtime(settings: Settings, metrics: Metrics, catalog: ModelCatalog) -> Runtime:
    if is_sqlite(settings.database_url):
        # The embedded default migrates itself; PostgreSQL is migrated by `make migrate`,
        # so that many instances starting at once never race on a schema change.
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    metrics.track_database(engine)
    sessions = create_session_factory(engine)
    await _promote_admin_emails(settings, sessions)
    publisher = create_event_publisher(
        settings.redis_url,
        settings=BusSettings(
            namespace=settings.events_namespace,
            thread_maxlen=settings.events_thread_maxlen,
            max_connections=settings.redis_max_connections,
        ),
        logger=logging.getLogger("py_core.events"),
    )

    def count_tokens(event: Event) -> None:
        if isinstance(event, MessageCompleted):
            model = event.model_name or "unknown"
            metrics.tokens.labels(model, "input").inc(event.usage.input_tokens)
            metrics.tokens.labels(model, "output").inc(event.usage.output_tokens)

    # Told of each relayed row once across instances (SKIP LOCKED): each reply counts once.
    relay = OutboxRelay(sessions, publisher, on_published=count_tokens)
    in_process = publisher if isinstance(publisher, InProcessEventBus) else None
    if in_process is not None:
        # Nothing to outlast in-process: the commit publishes (see `publish_on_commit`).
        publish_on_commit(sessions, in_process, on_published=count_tokens)
    else:
        # Events leave right after their commit, not at the relay's next poll.
        wake_on_commit(sessions, relay.wake)
    chat_engine = ChatEngine(catalog)
    runner = GenerationRunner(
        session_factory=sessions,
        engine=chat_engine,
        publisher=publisher,
        settings=RunnerSettings(
            max_concurrent=settings.max_concurrent_generations,
            shutdown_grace=settings.shutdown_grace_seconds,
        ),
    )
    metrics.track_generations(lambda: runner.running, lambda: runner.queued)
    files = JobFiles(root=settings.data_dir)
    jobs = JobRunner(
        session_factory=sessions,
        files=files,
        settings=JobSettings(export_retention=timedelta(hours=settings.export_retention_hours)),
        models=catalog,
    )

    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessions,
        publisher=publisher,
        relay=relay,
        catalog=catalog,
        chat_engine=chat_engine,
        runner=runner,
        completions=Completions(
            engine=chat_engine,
            sessions=sessions,
            logger=logging.getLogger("py_app.openai_api"),
            budgets=replace(
                settings.budgets(),
                reply_tokens=chat_engine.limits.max_output_tokens or DEFAULT_REPLY_TOKENS,
            ),
        ),
        rate_limiter=create_rate_limiter(settings.redis_url, settings.redis_key_prefix),
        open_streams=OpenStreams(settings.event_streams_per_user),
        metrics=metrics,
        files=files,
        jobs=jobs,
    )
    if in_process is not None:
        # Only rows an older release left behind; nothing writes new ones.
        await relay.relay_pending()
    else:
        relay.start()
    await runner.start()
    await jobs.start()
    logger.info(
        "started",
        extra={
            "database": engine.url.get_backend_name(),
            "events": "redis" if settings.redis_url else "in-process",
            "models": ",".join(o.id for o in catalog.options),
        },
    )
    return runtime


async def _promote_admin_emails(
    settings: Settings, sessions: async_sessionmaker[AsyncSession]
) -> None:
    """`ADMIN_EMAILS`: their existing accounts become administrators, at every start."""
    if not settings.admin_emails:
        return
    async with session_scope(sessions) as session:
        missing = await promote_admin_emails(
            settings.admin_emails, Context(db=session, logger=logging.getLogger("py_core"))
        )
    for email in missing:
        logger.warning("ADMIN_EMAILS: no account has the email %s (yet); none was made", email)


async def stop_runtime(runtime: Runtime) -> None:
    """Replies in flight finish (within the runner's grace) or are marked interrupted;
    then the relay publishes what they wrote, and connections close."""
    await runtime.jobs.stop()
    await runtime.runner.stop()
    try:
        await asyncio.wait_for(runtime.relay.relay_pending(), READY_TIMEOUT)
    except Exception as exc:
        logger.warning("outbox not drained at shutdown (the next start publishes it): %r", exc)
    await runtime.relay.stop()
    await runtime.publisher.close()
    await runtime.rate_limiter.close()
    await runtime.engine.dispose()
    logger.info("stopped")
