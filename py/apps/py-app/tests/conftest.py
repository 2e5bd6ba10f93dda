"""Fixtures of the app's tests: a live app per test on the test's backend.

SQLite runs with the in-process event bus and memory rate limits; PostgreSQL runs
with Redis (both required under CI=true).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from py_app.settings import Settings
from py_core.ai_ml import ModelCatalog
from py_core.database.utils import uuid7
from py_core_testing import services
from py_core_testing.databases import Backend

from .harness import LiveApp, forget_redis_keys, serve_settings
from .scripted import scripted_catalog


@pytest.fixture
async def redis_url(backend: Backend) -> str | None:
    """Redis for the PostgreSQL runs (the scaled-out stack); None for SQLite."""
    if backend == "sqlite":
        return None
    services.require("Redis", await services.redis_error())
    return services.REDIS_URL


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    """Override in a test module (or parametrize) to change the app's settings."""
    return {}


@pytest.fixture
def app_settings(
    db_url: str, redis_url: str | None, settings_overrides: dict[str, Any]
) -> Settings:
    unique = uuid7().hex
    values: dict[str, Any] = {
        "database_url": db_url,
        "redis_url": redis_url,
        "redis_key_prefix": f"py-app-test:{unique}:",
        "events_namespace": f"events-test-{unique}",
        "sse_heartbeat_seconds": 1.0,
        "shutdown_grace_seconds": 1.0,
        **settings_overrides,
    }
    return Settings(_env_file=None, **values)


@pytest.fixture
def model_delay() -> float:
    """Seconds between the scripted models' words; override to slow replies down."""
    return 0.01


@pytest.fixture
def catalog(model_delay: float) -> ModelCatalog:
    return scripted_catalog(model_delay)


@pytest.fixture
async def live_app(app_settings: Settings, catalog: ModelCatalog) -> AsyncIterator[LiveApp]:
    async with serve_settings(app_settings, catalog=catalog) as live:
        yield live
    if app_settings.redis_url == services.REDIS_URL:
        await forget_redis_keys(
            app_settings.redis_url, app_settings.events_namespace, app_settings.redis_key_prefix
        )


@pytest.fixture
async def client(live_app: LiveApp) -> AsyncIterator[httpx.AsyncClient]:
    async with live_app.client() as client:
        yield client


@pytest.fixture
async def other_client(live_app: LiveApp) -> AsyncIterator[httpx.AsyncClient]:
    """A second browser, for another user."""
    async with live_app.client() as client:
        yield client


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the test item, so fixtures can tell a failure
    (the browser fixture takes a screenshot then)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
