"""`python -m py_app` (what `make run` calls): serve the app on HOST:PORT."""

from __future__ import annotations

import sys

import uvicorn

from py_app.app import create_app
from py_app.logs import configure_logging
from py_app.settings import Settings
from py_core.ai_ml import ModelConfigError


def main() -> None:
    settings = Settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        app = create_app(settings)
    except ModelConfigError as exc:
        sys.exit(f"py-app: the model configuration is wrong: {exc}")
    shown_host = "localhost" if settings.host in ("127.0.0.1", "0.0.0.0") else settings.host
    print(f"py-app: serving on http://{shown_host}:{settings.port}", flush=True)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
