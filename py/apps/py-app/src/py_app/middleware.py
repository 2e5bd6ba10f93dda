"""ASGI middleware: request ids and metrics, security headers, request size limits, and
the answer to what no exception handler took.

Pure ASGI (not BaseHTTPMiddleware), so streaming responses pass through untouched.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from py_app.errors import ApiError, answer_unhandled, error_body
from py_app.logs import request_id_var
from py_app.metrics import Metrics
from py_app.openai_api.errors import INVALID_REQUEST, OPENAI_PREFIX, OpenAIError

access_logger = logging.getLogger("py_app.access")

_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# /docs (Swagger UI, served by the app itself) sets style attributes as it renders.
DOCS_CONTENT_SECURITY_POLICY = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self'", "style-src 'self' 'unsafe-inline'"
)


class RequestContextMiddleware:
    """Gives each request an id (kept from `X-Request-ID` when sane), logs it, times it."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        streaming = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                headers["X-Request-ID"] = request_id
                streaming = headers.get("content-type", "").startswith("text/event-stream")
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", "unmatched")
            method = scope["method"]
            self.metrics.requests.labels(method, route, str(status)).inc()
            if not streaming:  # a stream's length says nothing about latency
                self.metrics.latency.labels(method, route).observe(elapsed)
            access_logger.info(
                "%s %s %s %.1fms",
                method,
                scope["path"],
                status,
                elapsed * 1000,
                extra={"status": status, "route": route, "duration_ms": round(elapsed * 1000, 1)},
            )
            request_id_var.reset(token)


class UnhandledErrorMiddleware:
    """Answers a failure no exception handler took (a database driver's bare
    `ConnectionRefusedError`, a bug) itself, as `answer_unhandled` says.

    Left to Starlette, its outermost middleware sends the 500 and raises the error
    again, so the server logs a second traceback and closes the keep-alive connection:
    the client's next request on it fails. A failure after the response has started
    (mid-stream) still ends the connection; there is nothing else left to do.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = await answer_unhandled(Request(scope), exc)
            await response(scope, receive, send)


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_docs = scope["path"] == "/docs"
        # Pages hold CSRF tokens and API answers hold private data: never cache them.
        cacheable = scope["path"].startswith(("/static/", "/docs/assets/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault(
                    "Content-Security-Policy",
                    DOCS_CONTENT_SECURITY_POLICY if is_docs else CONTENT_SECURITY_POLICY,
                )
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
                if not cacheable:
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodySizeLimitMiddleware:
    """413 for a body over the limit: at once from Content-Length, else while reading."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, larger: Mapping[str, int] | None = None
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.larger = dict(larger or {})
        """Paths allowed a larger body (an upload), and their limit."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.larger.get(scope["path"], self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            try:
                too_large = int(declared) > max_bytes
            except ValueError:
                too_large = False
            if too_large:
                await _send_too_large(scope, send, max_bytes)
                return
        received = 0
        exceeded = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal received, exceeded
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    exceeded = True
                    raise ApiError(413, "too_large", _too_large_message(max_bytes))
            return message

        async def checked_send(message: Message) -> None:
            # Whatever the app made of the interrupted read (FastAPI answers 400 "error
            # parsing the body"), the client is told the real reason.
            nonlocal replaced
            if replaced:
                return
            if exceeded and message["type"] == "http.response.start":
                replaced = True
                await _send_too_large(scope, send, max_bytes)
                return
            await send(message)

        try:
            await self.app(scope, limited_receive, checked_send)
        except ApiError:
            if not exceeded or replaced:
                raise
            await _send_too_large(scope, send, max_bytes)


def _too_large_message(max_bytes: int) -> str:
    return f"The request body is larger than {max_bytes} bytes."


async def _send_too_large(scope: Scope, send: Send, max_bytes: int) -> None:
    message = _too_large_message(max_bytes)
    # In the shape of the route asked: OpenAI's on `/v1`, the app's everywhere else.
    if scope["path"].startswith(OPENAI_PREFIX):
        error = OpenAIError(413, message, type=INVALID_REQUEST, code="too_large")
        body = json.dumps(error.body()).encode()
    else:
        body = json.dumps(error_body("too_large", message)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
