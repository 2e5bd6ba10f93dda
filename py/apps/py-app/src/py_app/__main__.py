"""`python -m py_app` (what `make run` calls): serve the app on HOST:PORT."""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI

from py_app.app import create_app
from py_app.logs import configure_logging
from py_app.settings import Settings
from py_core.ai_ml import ModelConfigError


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    if settings.workers > 1 and (
        settings.redis_url is None or settings.database_url.startswith("sqlite")
    ):
        # Each process would have its own bus and SQLite writer: events would not cross.
        sys.exit("py-app: WORKERS > 1 needs PostgreSQL (DATABASE_URL) and Redis (REDIS_URL).")
    try:
        # Built here even with workers (which build their own): a wrong configuration
        # stops the start with its reason instead of every worker dying on it.
        app = create_app(settings)
    except ModelConfigError as exc:
        sys.exit(f"py-app: the model configuration is wrong: {exc}")
    shown_host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    print(f"py-app: serving on http://{shown_host}:{settings.port}", flush=True)
    many = settings.workers > 1
    uvicorn.run(
        # Several processes need an import string: each builds its app from the settings.
        "py_app.__main__:worker_app" if many else app,
        factory=many,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )


def worker_app() -> FastAPI:
    """One worker's app (`WORKERS` > 1), in a process of its own: the same settings,
    read again there, and its own logging."""
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)


if __name__ == "__main__":
    main()
