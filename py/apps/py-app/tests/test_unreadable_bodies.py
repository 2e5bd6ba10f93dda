"""Bodies that cannot be read answer 4xx in the route's own error shape, before any
authentication, and leave no traceback in the log."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import httpx
import pytest

from .harness import LiveApp, assert_error, sign_up

JSON = {"Content-Type": "application/json"}
DEEP = 1_000

UNREADABLE: dict[str, bytes] = {
    "invalid utf-8": b'{"model": "echo", "messages": [{"role": "user", "content": "\xff"}]}',
    "nested arrays": b"[" * DEEP + b"]" * DEEP,
    "nested objects": b'{"a":' * DEEP + b"1" + b"}" * DEEP,
    "nested in a field": b'{"model": "echo", "messages": ' + b"[" * DEEP + b"]" * DEEP + b"}",
}


def assert_no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    failures = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert failures == [], [r.getMessage() for r in failures]


def assert_openai_error(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["message"]


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_v1_answers_400_in_openai_shape(
    live_app: LiveApp, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    async with live_app.client() as client:
        for headers in ({}, {"Authorization": "Bearer pya_not-a-token"}):
            response = await client.post(
                "/v1/chat/completions", content=body, headers={**JSON, **headers}
            )
            assert_openai_error(response, 400)
    assert_no_traceback(caplog)


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
async def test_api_answers_400_in_its_shape(
    client: httpx.AsyncClient, body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    for url in ("/api/v1/auth/register", "/api/v1/auth/login"):
        assert_error(await client.post(url, content=body, headers=JSON), 400)
    await sign_up(client, "ada@example.com")
    for url in ("/api/v1/threads", "/api/v1/tokens"):
        assert_error(await client.post(url, content=body, headers=JSON), 400)
    assert_no_traceback(caplog)


async def _chunks(size: int) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        yield b" " * 65_536
        sent += 65_536


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
async def test_a_body_over_the_limit_is_413_in_the_routes_shape(
    live_app: LiveApp, chunked: bool, caplog: pytest.LogCaptureFixture
) -> None:
    size = live_app.app.state.runtime.settings.max_body_bytes + 65_536
    async with live_app.client() as client:
        for url in ("/v1/chat/completions", "/api/v1/auth/login"):
            body = _chunks(size) if chunked else b" " * size
            response = await client.post(url, content=body, headers=JSON)
            assert ("content-length" not in response.request.headers) == chunked
            if url.startswith("/v1/"):
                assert_openai_error(response, 413)
                assert response.json()["error"]["code"] == "too_large"
            else:
                assert_error(response, 413, "too_large")
    assert_no_traceback(caplog)
