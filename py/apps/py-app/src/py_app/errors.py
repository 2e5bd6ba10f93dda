"""One place that turns every failure into `{"error": {"code", "message"}}`.

Domain errors carry their code and a user-safe message; validation errors become 422
(malformed JSON 400); a database too busy to answer in time, or out of reach, is a 503
with Retry-After; anything unexpected is a logged 500 with no detail leaked.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DataError, DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match, Mount

from py_core.database import is_database_busy, is_database_unreachable
from py_core.database.utils import utcnow
from py_core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
)

logger = logging.getLogger("py_app")

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 422,
    NotFound: 404,
    Conflict: 409,
    Unauthenticated: 401,
    Forbidden: 403,
    QuotaExceeded: 429,
}

_CODE_BY_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
}

BUSY_RETRY_AFTER_SECONDS = 1
"""`Retry-After` of a 503 for a busy database: a writer's turn comes in milliseconds,
so a second is plenty and keeps clients from piling on."""
BUSY_MESSAGE = "The service is busy; try again in a moment."
UNREACHABLE_RETRY_AFTER_SECONDS = 5
"""`Retry-After` of a 503 while the database cannot be reached: an outage (a restart,
a failover) lasts seconds at least, so clients wait longer than for load."""
UNREACHABLE_MESSAGE = "The service is unavailable for a moment; try again shortly."


class ApiError(Exception):
    """An HTTP-level refusal that is not a domain rule (CSRF, rate limit, size)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field is not None:
        error["field"] = field
    return {"error": error}


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(error_body(code, message, field), status_code=status, headers=headers)


def status_of(error: DomainError) -> int:
    for kind, status in STATUS_BY_ERROR.items():
        if isinstance(error, kind):
            return status
    return 400


HtmlErrorPage = Callable[[Request, int, str], Response]
"""Renders an error for a page (not an API) request: request, status, message."""


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/")) and (
        "text/html" in request.headers.get("accept", "")
    )


async def _domain_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_of(exc)
    html_page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
    if html_page is not None and _wants_html(request):
        return html_page(request, status, exc.message)
    if isinstance(exc, QuotaExceeded):
        return quota_response(exc)
    field = exc.field if isinstance(exc, InvalidInput) else None
    return error_response(status, exc.code, exc.message, field=field)


def quota_response(exc: QuotaExceeded) -> JSONResponse:
    """429 `quota_exceeded`, with the budget that was reached and when it resets
    (`Retry-After` too, for clients that wait on their own)."""
    body = error_body(exc.code, exc.message)
    body["error"].update(period=exc.period, limit=exc.limit, resets_at=exc.resets_at.isoformat())
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(retry_after(exc))})


def retry_after(exc: QuotaExceeded) -> int:
    """Seconds until the budget resets, at least 1."""
    return max(1, math.ceil((exc.resets_at - utcnow()).total_seconds()))


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, headers=exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return error_response(400, "malformed_json", "The request body is not valid JSON.")
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    field = ".".join(location) or None
    message = str(first.get("msg", "The request is not valid."))
    if field:
        message = f"{field}: {message}"
    return error_response(422, "invalid_input", message, field=field)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _CODE_BY_STATUS.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else "The request failed."
    if exc.status_code == 404:
        message = "Not found."
    headers = dict(exc.headers) if exc.headers else {}
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    html_page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
    if html_page is not None and _wants_html(request):
        page = html_page(request, exc.status_code, message)
        page.headers.update(headers)
        return page
    return error_response(exc.status_code, code, message, headers=headers or None)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(request: Request) -> str:
    """Every method the request's path answers, asked of the routes themselves.

    Starlette's 405 names only the methods of the first route on the path (`GET` for
    `/api/v1/threads`, which takes `POST` too). Mounts (static files) match any method
    and name their own.
    """
    routes = [route for route in request.app.router.routes if not isinstance(route, Mount)]
    allowed = [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed)


async def _data_error(_request: Request, exc: Exception) -> JSONResponse:
    # A value the database refuses (a forged cursor holding NUL, an out-of-range
    # number): the client's input, not our fault.
    logger.info("database refused a value: %s", type(exc.__cause__ or exc).__name__)
    return error_response(422, "invalid_input", "The request holds a value that is not valid.")


@dataclass(frozen=True, kw_only=True)
class Unavailable:
    """A 503 for a database failure that is neither the client's fault nor a bug."""

    message: str
    """What the client is told."""
    retry_after: int
    """Seconds, for `Retry-After`."""

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def database_unavailable(error: BaseException) -> Unavailable | None:
    """The 503 of a database that is busy (load: the pool had no connection in time,
    another writer held SQLite's lock) or out of reach (refused, or the connection
    lost); None for any other failure."""
    if is_database_busy(error):
        logger.warning("database busy: %s", type(error).__name__)
        return Unavailable(message=BUSY_MESSAGE, retry_after=BUSY_RETRY_AFTER_SECONDS)
    if is_database_unreachable(error):
        logger.warning("database unreachable: %s", type(error).__name__)
        return Unavailable(message=UNREACHABLE_MESSAGE, retry_after=UNREACHABLE_RETRY_AFTER_SECONDS)
    return None


async def _database_error(request: Request, exc: Exception) -> Response:
    unavailable = database_unavailable(exc)
    if unavailable is None:
        return await _unexpected(request, exc)
    html_page: HtmlErrorPage | None = getattr(request.app.state, "html_error_page", None)
    if html_page is not None and _wants_html(request):
        page = html_page(request, 503, unavailable.message)
        page.headers.update(unavailable.headers)
        return page
    return error_response(503, "unavailable", unavailable.message, headers=unavailable.headers)


async def answer_unhandled(request: Request, exc: Exception) -> Response:
    """What no handler took: a database out of reach (its driver raises a bare
    `ConnectionRefusedError`) is a 503, anything else a logged 500."""
    return await _database_error(request, exc)


async def _unexpected(_request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unhandled error", exc_info=exc)
    return error_response(500, "internal", "Something went wrong on our side; try again.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, _domain_error)
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(DataError, _data_error)
    app.add_exception_handler(DBAPIError, _database_error)
    app.add_exception_handler(PoolTimeoutError, _database_error)
    app.add_exception_handler(Exception, _unexpected)
