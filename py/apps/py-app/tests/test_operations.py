"""Health, readiness, metrics, OpenAPI, security headers and the error shape."""

from __future__ import annotations

import json
import logging

import httpx
import pytest

from py_app.logs import JsonFormatter, RequestIdFilter, request_id_var

from .harness import PASSWORD, assert_error, sign_up


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"] == {"database": "ok", "events": "ok"}


async def test_metrics_count_requests(client: httpx.AsyncClient) -> None:
    await client.get("/healthz")
    await client.get("/api/v1/me")
    text = (await client.get("/metrics")).text
    assert 'http_requests_total{method="GET",route="/healthz",status="200"}' in text
    assert 'http_requests_total{method="GET",route="/api/v1/me",status="401"}' in text
    assert "http_request_duration_seconds_bucket" in text
    assert "sse_open_streams" in text
    assert "generations_running" in text
    assert "generations_queued" in text


async def test_openapi_and_docs(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    assert "/api/v1/auth/login" in spec["paths"]
    assert (await client.get("/docs")).status_code == 200


async def test_security_headers_on_pages_and_api(client: httpx.AsyncClient) -> None:
    for path in ("/signin", "/api/v1/me", "/static/app.css"):
        headers = (await client.get(path)).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["X-Request-ID"]
        if not path.startswith("/static/"):
            assert headers["Cache-Control"] == "no-store"


async def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(await client.put("/api/v1/me"), 405, "method_not_allowed")
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-me-123"})
    assert response.headers["X-Request-ID"] == "trace-me-123"


async def test_cookie_is_secure_behind_https(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    # uvicorn trusts X-Forwarded-Proto from 127.0.0.1 (FORWARDED_ALLOW_IPS).
    response = await client.post(
        "/api/v1/auth/login",
        json={"email": "ada@example.com", "password": PASSWORD},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert response.status_code == 200
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("redis_url", ["redis://127.0.0.1:1/0"])
@pytest.mark.parametrize("backend", ["sqlite"])
async def test_readyz_is_503_when_the_bus_is_down(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).status_code == 200
    response = await client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["events"].startswith("unreachable")


def test_json_logs_carry_the_request_id() -> None:
    record = logging.makeLogRecord({"msg": "hello %s", "args": ("you",), "levelname": "INFO"})
    token = request_id_var.set("req-1")
    try:
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["message"] == "hello you"
    assert line["request_id"] == "req-1"
