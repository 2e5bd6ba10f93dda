"""Whatever a client sends, the answer is a 4xx in the error shape, never a 500."""

from __future__ import annotations

import httpx

from .harness import new_thread, sign_up

BODIES: list[dict[str, object]] = [
    {"content": b"", "headers": {"Content-Type": "application/json"}},
    {"content": b"null", "headers": {"Content-Type": "application/json"}},
    {"content": b"[]", "headers": {"Content-Type": "application/json"}},
    {"content": b'"text"', "headers": {"Content-Type": "application/json"}},
    {"content": b"{", "headers": {"Content-Type": "application/json"}},
    {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}},
    {"content": b"[" * 5000 + b"]" * 5000, "headers": {"Content-Type": "application/json"}},
    {"content": b"a=b", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
    {"content": b'{"content": "hi"}', "headers": {"Content-Type": "text/plain"}},
    {"json": {"email": None, "password": 1e308, "display_name": ["x"], "title": {"a": 1}}},
    {"json": {"content": "\u0000\ud7ff", "title": "\u202e" * 10, "name": "\x00"}},
    {"json": {"expires_at": "9999-99-99", "archived": "yes", "model": 7}},
    {"json": {"content": "nul \u0000 inside"}},
    {"json": {"email": "a\u0000@example.com", "password": "x\u0000" * 8, "name": "n\u0000"}},
    {"json": {"title": "t\u0000"}},
]


async def test_no_input_makes_a_500(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    base = f"/api/v1/threads/{thread['id']}"
    routes = [
        ("POST", "/api/v1/auth/register"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/tokens"),
        ("POST", "/api/v1/threads"),
        ("PATCH", base),
        ("POST", f"{base}/messages"),
        ("POST", f"{base}/messages/{'x' * 5000}/cancel"),
    ]
    for method, url in routes:
        for body in BODIES:
            response = await client.request(method, url, **body)  # type: ignore[arg-type]
            assert 400 <= response.status_code < 500, (method, url, body, response.text)
            assert "error" in response.json()
    for url in [
        "/api/v1/threads?limit=abc",
        "/api/v1/threads?limit=99999999999999999999999",
        "/api/v1/threads?cursor=" + "A" * 400,
        "/api/v1/threads?cursor=WyJ4Il0",
        "/api/v1/threads?q=" + "%00%ff",
        f"/api/v1/threads/{'x' * 3000}",
        f"{base}/messages?before=WyIiLCIiXQ",
        f"{base}/messages?before=WyJ4XHUwMDAwIl0",  # ["x\u0000"]: NUL inside the cursor
        "/api/v1/threads?cursor=WyJ4XHUwMDAwIiwieSJd",
        f"{base}/messages?limit=-1",
        f"{base}/events?last_event_id=99999999999999999999999-1",
        "/api/v1/threads/%00",
    ]:
        response = await client.get(url)
        assert 400 <= response.status_code < 500, (url, response.text)
