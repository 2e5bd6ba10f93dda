"""The application factory: `create_app(settings)` returns a ready FastAPI app.

Everything with a life (engine, event bus, relay, runner) is built in the lifespan and
stopped there, so importing this module has no side effects.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from py_app.api import (
    account,
    admin,
    admin_spending,
    auth,
    branches,
    events,
    health,
    models,
    threads,
    tokens,
)
from py_app.api import portability as portability_api
from py_app.api_docs import install_api_docs
from py_app.errors import install_error_handlers
from py_app.metrics import Metrics
from py_app.middleware import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
    UnhandledErrorMiddleware,
)
from py_app.openai_api import router as openai_router
from py_app.pages import account as account_pages
from py_app.pages import admin as admin_pages
from py_app.pages import admin_spending as admin_spending_pages
from py_app.pages import data as data_pages
from py_app.pages import routes as pages
from py_app.pages.templating import (
    PasswordChangeRequired,
    SignInRequired,
    html_error_page,
    password_change_redirect,
    sign_in_redirect,
)
from py_app.runtime import start_runtime, stop_runtime
from py_app.settings import Settings
from py_core.ai_ml import ModelCatalog, load_model_catalog

APP_ROOT = Path(__file__).resolve().parents[2]
STATIC_DIR = APP_ROOT / "static"


def create_app(settings: Settings | None = None, *, catalog: ModelCatalog | None = None) -> FastAPI:
    """The app. `catalog` replaces the models configured in the environment (tests).

    Raises `ModelConfigError` when the model configuration is wrong, before serving.
    """
    settings = settings or Settings()
    catalog = catalog or load_model_catalog()
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings, metrics, catalog)
        app.state.runtime = runtime
        try:
            yield
        finally:
            await stop_runtime(runtime)

    app = FastAPI(
        title="py-app",
        version="1.0",
        summary="A self-hostable AI chat: the v1 JSON API.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    install_error_handlers(app)
    app.state.html_error_page = html_error_page
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.add_exception_handler(PasswordChangeRequired, password_change_redirect)
    for router in (
        auth.router,
        auth.me_router,
        account.router,
        tokens.router,
        models.router,
        threads.router,
        portability_api.threads_router,
        portability_api.router,
        branches.router,
        events.router,
        health.router,
        admin.router,
        admin_spending.router,
        openai_router,
        pages.router,
        data_pages.router,
        account_pages.router,
        admin_pages.router,
        admin_spending_pages.router,
    ):
        app.include_router(router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_api_docs(app)
    # Outermost last: request ids and metrics see every response, 413s included.
    app.add_middleware(UnhandledErrorMiddleware)
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_bytes,
        # An upload is bigger than any JSON body; a multipart envelope adds a little.
        larger={portability_api.IMPORTS_PATH: settings.max_import_bytes + 64 * 1024},
    )
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    return app
