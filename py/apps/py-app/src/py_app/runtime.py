"""What the app builds at start-up and tears down at shutdown, in one object.

Handlers reach it through dependencies (`RuntimeDep`), never as a global, so a test
can run several apps side by side, each with its own database and models.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from py_app.metrics import Metrics
from py_app.ratelimit import RateLimiter, create_rate_limiter
from py_app.settings import Settings
from py_core.context import Context
from py_core.database import create_engine, create_session_factory
from py_core.database.base import is_sqlite
from py_core.database.migrate import upgrade_async

logger = logging.getLogger("py_app")


@dataclass(kw_only=True)
class Runtime:
    settings: Settings
    """The configuration it was built from."""
    engine: AsyncEngine
    """The database engine."""
    sessions: async_sessionmaker[AsyncSession]
    """Makes one session per request or job."""
    rate_limiter: RateLimiter
    """Counts sign-in and sign-up attempts."""
    metrics: Metrics = field(default_factory=Metrics)
    """This app's Prometheus registry."""

    def context(self, session: AsyncSession) -> Context:
        """The Context of one request's unit of work."""
        return Context(db=session, logger=logging.getLogger("py_core"))

    async def check_ready(self) -> dict[str, str]:
        """Each dependency's state, `ok` or what is wrong."""
        checks: dict[str, str] = {}
        try:
            async with self.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            checks["database"] = "ok"
        except Exception as exc:
            checks["database"] = f"unreachable: {type(exc).__name__}"
        return checks


async def start_runtime(settings: Settings, metrics: Metrics) -> Runtime:
    if is_sqlite(settings.database_url):
        # The embedded default migrates itself; PostgreSQL is migrated by `make migrate`,
        # so that many instances starting at once never race on a schema change.
        await upgrade_async(settings.database_url)
    engine = create_engine(settings.database_url)
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=create_session_factory(engine),
        rate_limiter=create_rate_limiter(settings.redis_url, settings.redis_key_prefix),
        metrics=metrics,
    )
    logger.info(
        "started",
        extra={"database": engine.url.get_backend_name(), "redis": bool(settings.redis_url)},
    )
    return runtime


async def stop_runtime(runtime: Runtime) -> None:
    await runtime.rate_limiter.close()
    await runtime.engine.dispose()
    logger.info("stopped")
