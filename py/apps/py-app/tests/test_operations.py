"""Health, readiness, metrics, OpenAPI, security headers and the error shape."""

from __future__ import annotations

import httpx

from .harness import assert_error


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert all(state == "ok" for state in ready.json()["checks"].values())


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


async def test_unknown_routes_and_methods_use_the_error_shape(client: httpx.AsyncClient) -> None:
    assert_error(await client.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(await client.put("/api/v1/me"), 405, "method_not_allowed")
    response = await client.get("/healthz", headers={"X-Request-ID": "trace-me-123"})
    assert response.headers["X-Request-ID"] == "trace-me-123"
