"""The HTTP side of the lean OpenAI-compatible model: one pooled client, retries, errors, batches.

Failures become the exceptions pydantic-ai's own OpenAI model raises for them (`ModelHTTPError`
of the same category, `ModelConnectionError`, `ModelTimeoutError`), so `to_chat_error` gives
them the same kinds. Retries follow the OpenAI SDK's rules: two by default, for connection
failures and 408, 409, 429 and 5xx, unless the server says `x-should-retry: false`.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import random
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any

import httpx2
import orjson
from pydantic_ai._model_errors import connection_error
from pydantic_ai.exceptions import ModelAPIError, ModelHTTPError
from pydantic_ai.models import get_user_agent
from pydantic_ai.models.openai._errors import status_error

from py_core.ai_ml.types import DELTA_WINDOW

DEFAULT_TIMEOUT = httpx2.Timeout(600, connect=5)
"""The OpenAI SDK's: ten minutes to answer, five seconds to connect."""
DEFAULT_MAX_RETRIES = 2
"""The OpenAI SDK's default."""
_RETRIED_STATUSES = frozenset({408, 409, 429})
_MAX_RETRY_AFTER = 60.0


def new_http_client() -> httpx2.AsyncClient:
    """A client for one model: its connections are pooled and kept alive between requests."""
    return httpx2.AsyncClient(
        timeout=DEFAULT_TIMEOUT,
        limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100),
        headers={"User-Agent": get_user_agent()},
    )


def request_timeout(setting: object) -> httpx2.Timeout:
    """The timeout of one attempt from `ModelSettings['timeout']` (seconds or a `Timeout`)."""
    if isinstance(setting, httpx2.Timeout):
        return setting
    if isinstance(setting, int | float):
        # A number bounds reading; connecting keeps the default's shorter limit, as the SDK's.
        return httpx2.Timeout(setting, connect=min(float(setting), 5.0))
    return DEFAULT_TIMEOUT


async def send(
    client: httpx2.AsyncClient,
    request: httpx2.Request,
    *,
    model_name: str,
    namespace: str,
    api_key: str,
    max_retries: int,
) -> httpx2.Response:
    """The response to `request`, its body unread; its status is below 400.

    Raises the `ModelAPIError` pydantic-ai's OpenAI model raises for the same failure, with
    the API key masked out of any error body.
    """
    attempt = 0
    while True:
        try:
            response = await client.send(request, stream=True)
        except httpx2.TransportError as exc:
            if attempt < max_retries:
                await asyncio.sleep(_backoff(attempt, None))
                attempt += 1
                continue
            raise transport_error(exc, model_name) from exc
        if response.status_code < 400:
            return response
        body = await response.aread()
        await response.aclose()
        if attempt < max_retries and _should_retry(response):
            await asyncio.sleep(_backoff(attempt, response.headers))
            attempt += 1
            continue
        raise http_error(
            response, body, model_name=model_name, namespace=namespace, api_key=api_key
        )


def http_error(
    response: httpx2.Response, body: bytes, *, model_name: str, namespace: str, api_key: str
) -> ModelHTTPError:
    """The error for an HTTP error status, classified as pydantic-ai's OpenAI model does."""
    text = body.decode("utf-8", errors="replace").strip()
    if api_key:
        text = text.replace(api_key, "***")
    parsed: object = text
    with contextlib.suppress(orjson.JSONDecodeError):
        parsed = orjson.loads(text)
    # OpenAI-compatible servers wrap the details in an "error" object; the SDK reports that object.
    error: Any = parsed.get("error", parsed) if isinstance(parsed, dict) else parsed
    details = error if isinstance(error, dict) else {}
    return status_error(
        model_name,
        namespace,
        status_code=response.status_code,
        body=error,
        code=_text(details.get("code")),
        error_type=_text(details.get("type")),
        message=_text(details.get("message")) or text,
        headers=dict(response.headers),
    )


def transport_error(exc: httpx2.TransportError, model_name: str) -> ModelAPIError:
    """A connection failure (refused, reset, timed out) as pydantic-ai reports it."""
    timeout = isinstance(exc, httpx2.TimeoutException)
    message = "Request timed out." if timeout else "Connection error."
    return connection_error(model_name, message, exc, timeout=timeout)


class ResponseBatches:
    """A streamed response body in batches: all that arrived while the consumer was busy, joined.

    A task reads the body as fast as it comes; each `__anext__` takes everything read since
    the last one (waiting for at least one piece). So a server that sends many small chunks
    at once costs the consumer one step, not one per chunk, and a slow consumer never lags.
    """

    def __init__(self, response: httpx2.Response, *, window: float = DELTA_WINDOW) -> None:
        """`window`: after the first batch (handed out as soon as it arrives), what comes
        within this many seconds of the last batch joins the next one, so a provider that
        writes each token on its own still costs one step per window, not one per token."""
        self._response = response
        self._window = window
        self._last: float | None = None
        self._pieces: list[bytes] = []
        self._arrived = asyncio.Event()
        self._finished = asyncio.Event()
        self._ended = False
        self._error: Exception | None = None
        # Decoding costs a few calls per piece; only a compressed body needs it.
        encoded = "content-encoding" in response.headers
        body = response.aiter_bytes() if encoded else response.aiter_raw()
        self._reader = asyncio.get_running_loop().create_task(self._read(body))

    async def _read(self, body: AsyncIterator[bytes]) -> None:
        try:
            async for piece in body:
                self._pieces.append(piece)
                self._arrived.set()
        except Exception as exc:  # the consumer raises it, where the caller can catch it
            self._error = exc
        finally:
            self._ended = True
            self._arrived.set()
            self._finished.set()

    def __aiter__(self) -> ResponseBatches:
        return self

    async def __anext__(self) -> bytes:
        while not self._pieces:
            if self._ended:
                if (error := self._error) is not None:
                    self._error = None
                    raise error
                raise StopAsyncIteration
            self._arrived.clear()
            await self._arrived.wait()
        await self._gather()
        batch = b"".join(self._pieces)
        self._pieces.clear()
        self._last = asyncio.get_running_loop().time()
        return batch

    async def _gather(self) -> None:
        """Wait out the rest of the window since the last batch (not past the body's end)."""
        if self._last is None or self._ended:
            return
        rest = self._last + self._window - asyncio.get_running_loop().time()
        if rest > 0:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(rest):
                    await self._finished.wait()

    async def aclose(self) -> None:
        """Stop reading and hang up; idempotent."""
        if not self._reader.done():
            self._reader.cancel()
            await asyncio.wait([self._reader])
        self._ended = True
        self._arrived.set()
        await self._response.aclose()


def _should_retry(response: httpx2.Response) -> bool:
    hint = response.headers.get("x-should-retry", "").strip().lower()
    if hint in ("true", "false"):
        return hint == "true"
    return response.status_code in _RETRIED_STATUSES or response.status_code >= 500


def _backoff(attempt: int, headers: Mapping[str, str] | None) -> float:
    """Seconds before the next attempt: the server's `Retry-After` when sane, else exponential."""
    retry_after = _retry_after(headers) if headers is not None else None
    if retry_after is not None and 0 <= retry_after <= _MAX_RETRY_AFTER:
        return retry_after
    return min(0.5 * 2.0**attempt, 8.0) * (1 - 0.25 * random.random())


def _retry_after(headers: Mapping[str, str]) -> float | None:
    if (milliseconds := headers.get("retry-after-ms")) is not None:
        try:
            return float(milliseconds) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        moment = email.utils.parsedate_tz(value)
        return None if moment is None else email.utils.mktime_tz(moment) - time.time()


def _text(value: object) -> str | None:
    return str(value) if isinstance(value, str | int) else None
