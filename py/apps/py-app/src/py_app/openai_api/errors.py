"""Errors in OpenAI's shape, `{"error": {"message", "type", "param", "code"}}`, with the
status OpenAI would send, so that each surfaces as the client's own exception type
(`openai.AuthenticationError` for 401, `NotFoundError` for 404, `BadRequestError` for
400, `RateLimitError` for 429, ...).

The app's handlers answer in its own shape (and 422 for invalid bodies); `OpenAIRoute`
catches every failure of this router's endpoints first.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from py_app.errors import ApiError, database_unavailable, retry_after
from py_app.openai_api.schemas import OpenAIErrorOut
from py_core.ai_ml import ChatError, ChatErrorKind, UnknownModel
from py_core.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    QuotaExceeded,
    Unauthenticated,
)

logger = logging.getLogger("py_app.openai_api")

OPENAI_PREFIX = "/v1/"
"""Where the OpenAI-compatible API lives: its answers, errors included, are OpenAI's."""
INVALID_REQUEST = "invalid_request_error"
UNPARSABLE_BODY = "We could not parse the JSON body of your request."


class OpenAIError(Exception):
    """A failure as the OpenAI API reports it."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        type: str,
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.type,
                "param": self.param,
                "code": self.code,
            }
        }

    def response(self) -> JSONResponse:
        return JSONResponse(self.body(), status_code=self.status, headers=self.headers)


def missing_api_key() -> OpenAIError:
    return OpenAIError(
        401,
        "Send your API token as `Authorization: Bearer <token>` (create one under Settings).",
        type=INVALID_REQUEST,
        code="invalid_api_key",
    )


def rate_limited(limit: int, retry_after: int) -> OpenAIError:
    return OpenAIError(
        429,
        f"Rate limit reached: {limit} requests per minute for this account. "
        f"Try again in {retry_after} seconds.",
        type="rate_limit_error",
        code="rate_limit_exceeded",
        headers={"Retry-After": str(retry_after)},
    )


def from_domain(error: DomainError) -> OpenAIError:
    if isinstance(error, QuotaExceeded):
        # OpenAI's own answer for a spent quota: its clients raise RateLimitError with
        # code `insufficient_quota` (and do not retry it as a rate limit).
        return OpenAIError(
            429,
            error.message,
            type="insufficient_quota",
            code="insufficient_quota",
            # Waiting seconds does not help; OpenAI's clients retry a 429 unless told.
            headers={"Retry-After": str(retry_after(error)), "x-should-retry": "false"},
        )
    if isinstance(error, UnknownModel):
        return OpenAIError(
            404, error.message, type=INVALID_REQUEST, code="model_not_found", param="model"
        )
    if isinstance(error, InvalidInput):
        return OpenAIError(
            400, error.message, type=INVALID_REQUEST, code="invalid_value", param=error.field
        )
    if isinstance(error, Unauthenticated):
        return OpenAIError(401, error.message, type=INVALID_REQUEST, code="invalid_api_key")
    if isinstance(error, Forbidden):
        return OpenAIError(403, error.message, type="permission_error")
    if isinstance(error, NotFound):
        return OpenAIError(404, error.message, type=INVALID_REQUEST, code="not_found")
    if isinstance(error, Conflict):
        return OpenAIError(409, error.message, type=INVALID_REQUEST, code="conflict")
    return OpenAIError(400, error.message, type=INVALID_REQUEST, code=error.code)


# The provider's failure, seen from our client: its limits are 429 (so clients back off),
# a reply we cannot produce is a 5xx (the client retries), its request's fault a 400.
_BY_KIND: dict[ChatErrorKind, tuple[int, str, str]] = {
    "rate_limited": (429, "rate_limit_error", "rate_limit_exceeded"),
    "quota_exceeded": (429, "insufficient_quota", "insufficient_quota"),
    "context_too_long": (400, INVALID_REQUEST, "context_length_exceeded"),
    "content_filtered": (400, INVALID_REQUEST, "content_filter"),
    "limit_exceeded": (400, INVALID_REQUEST, "limit_exceeded"),
    "authentication_failed": (502, "server_error", "upstream_authentication_failed"),
    "model_unavailable": (503, "server_error", "model_unavailable"),
    "timed_out": (504, "server_error", "timeout"),
    "provider_error": (502, "server_error", "provider_error"),
}


def from_chat_error(error: ChatError) -> OpenAIError:
    status, error_type, code = _BY_KIND[error.kind]
    headers = None
    if status == 429 and error.retry_after is not None:
        headers = {"Retry-After": str(max(1, math.ceil(error.retry_after)))}
    param = "messages" if error.kind == "context_too_long" else None
    return OpenAIError(
        status, error.message, type=error_type, code=code, param=param, headers=headers
    )


def from_validation(error: RequestValidationError) -> OpenAIError:
    errors = list(error.errors())
    if any(e.get("type") == "json_invalid" for e in errors):
        return OpenAIError(400, UNPARSABLE_BODY, type=INVALID_REQUEST)
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ()) if part not in ("body", "query", "path")]
    param = ".".join(location) or None
    message = str(first.get("msg", "The request is not valid."))
    if param:
        message = f"{param}: {message}"
    return OpenAIError(400, message, type=INVALID_REQUEST, code="invalid_value", param=param)


def from_http(error: StarletteHTTPException) -> OpenAIError:
    """FastAPI's own refusals: a body it could not read (not UTF-8, nested past the
    parser's depth, cut short by the size limit) is a 400."""
    if error.status_code == 400:
        return OpenAIError(400, UNPARSABLE_BODY, type=INVALID_REQUEST)
    message = error.detail if isinstance(error.detail, str) else "The request failed."
    headers = dict(error.headers) if error.headers else None
    return OpenAIError(error.status_code, message, type=INVALID_REQUEST, headers=headers)


def to_openai_error(exc: Exception) -> OpenAIError:
    """Any failure of an endpoint of this router, in OpenAI's shape."""
    if isinstance(exc, OpenAIError):
        return exc
    if isinstance(exc, RequestValidationError):
        return from_validation(exc)
    if isinstance(exc, StarletteHTTPException):
        return from_http(exc)
    if isinstance(exc, DomainError):
        return from_domain(exc)
    if isinstance(exc, ChatError):
        return from_chat_error(exc)
    unavailable = database_unavailable(exc)
    if unavailable is not None:
        # OpenAI's clients retry a 503 on their own, after Retry-After.
        return OpenAIError(
            503,
            unavailable.message,
            type="server_error",
            code="unavailable",
            headers=unavailable.headers,
        )
    if isinstance(exc, ApiError):
        error_type = "rate_limit_error" if exc.status == 429 else INVALID_REQUEST
        return OpenAIError(
            exc.status, exc.message, type=error_type, code=exc.code, headers=exc.headers
        )
    logger.exception("unhandled error", exc_info=exc)
    return OpenAIError(
        500, "Something went wrong on our side; try again.", type="server_error", code="internal"
    )


class OpenAIRoute(APIRoute):
    """A route whose failures, request validation included, answer in OpenAI's shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def handle(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return to_openai_error(exc).response()

        return handle


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a `/v1` route may answer, in OpenAI's shape."""
    return {status: {"model": OpenAIErrorOut} for status in statuses}


def document_openai_statuses(app: FastAPI) -> None:
    """`/v1` never answers FastAPI's 422 (an invalid body is OpenAI's 400), so its
    operations in `/openapi.json` list only what `error_responses` declared."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        built_before = app.openapi_schema is not None
        schema = build()
        if not built_before:
            for path, operations in schema["paths"].items():
                if path.startswith(OPENAI_PREFIX):
                    for operation in operations.values():
                        operation["responses"].pop("422", None)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
