"""Accounts over HTTP: register, login (cookie + CSRF), logout, me, rate limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from .harness import PASSWORD, LiveApp, assert_error, sign_up


async def test_register_returns_the_user(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register",
        json={"email": "Ada@Example.com", "password": PASSWORD, "display_name": "Ada"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["email"] == "ada@example.com"
    assert body["display_name"] == "Ada"
    assert "password" not in str(body)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email", "password": PASSWORD, "display_name": "A"}, "email"),
        ({"email": "a@example.com", "password": "short", "display_name": "A"}, "password"),
        ({"email": "a@example.com", "password": "password123", "display_name": "A"}, "password"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": " "}, "display_name"),
        ({"email": "a@example.com", "password": PASSWORD}, "display_name"),
        ({"email": 5, "password": PASSWORD, "display_name": "A"}, "email"),
        ({"email": "a@example.com", "password": PASSWORD, "display_name": "A", "x": 1}, "x"),
    ],
)
async def test_register_refuses_invalid_input(
    client: httpx.AsyncClient, payload: dict[str, Any], field: str
) -> None:
    response = await client.post("/api/v1/auth/register", json=payload)
    assert_error(response, 422, "invalid_input")
    assert response.json()["error"]["field"] == field


async def test_register_twice_is_a_conflict(client: httpx.AsyncClient) -> None:
    payload = {"email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"}
    assert (await client.post("/api/v1/auth/register", json=payload)).status_code == 201
    payload["email"] = "ADA@example.com"
    assert_error(await client.post("/api/v1/auth/register", json=payload), 409, "conflict")


async def test_malformed_json_is_400_and_wrong_shapes_are_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/register", content=b'{"email": ', headers={"Content-Type": "application/json"}
    )
    assert_error(response, 400, "malformed_json")
    assert_error(await client.post("/api/v1/auth/register", json=[1, 2]), 422, "invalid_input")
    assert_error(await client.post("/api/v1/auth/register"), 422, "invalid_input")
    response = await client.post(
        "/api/v1/auth/register", content=b"\xff\xfe", headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 422)


async def test_too_large_body_is_413(client: httpx.AsyncClient) -> None:
    big = {"email": "a@example.com", "password": PASSWORD, "display_name": "x" * 2_000_000}
    assert_error(await client.post("/api/v1/auth/register", json=big), 413, "too_large")

    async def chunks() -> Any:
        for _ in range(11):  # over the limit at the last chunk
            yield b"x" * 100_000

    response = await client.post(
        "/api/v1/auth/register", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert_error(response, 413, "too_large")


async def test_login_sets_a_safe_cookie_and_me_answers(client: httpx.AsyncClient) -> None:
    await client.post(
        "/api/v1/auth/register",
        json={"email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"},
    )
    response = await client.post(
        "/api/v1/auth/login", json={"email": "ADA@example.com", "password": PASSWORD}
    )
    assert response.status_code == 200
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie or "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain HTTP here; `auto` marks it Secure behind HTTPS
    body = response.json()
    assert body["user"]["email"] == "ada@example.com"
    me = await client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["email"] == "ada@example.com"
    assert me.json()["csrf_token"] == body["csrf_token"]


async def test_wrong_credentials_are_401_without_saying_which(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    wrong_password = await client.post(
        "/api/v1/auth/login", json={"email": "ada@example.com", "password": "not it at all"}
    )
    unknown = await client.post(
        "/api/v1/auth/login", json={"email": "nobody@example.com", "password": PASSWORD}
    )
    assert_error(wrong_password, 401, "unauthenticated")
    assert_error(unknown, 401, "unauthenticated")
    assert wrong_password.json() == unknown.json()


async def test_me_without_or_with_a_wrong_session_is_401(live_app: LiveApp) -> None:
    async with live_app.client() as anonymous:
        assert_error(await anonymous.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client(cookies={"py_app_session": "forged"}) as forged:
        assert_error(await forged.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client(headers={"Authorization": "Bearer nope"}) as bearer:
        assert_error(await bearer.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client(headers={"Authorization": "Basic eDp5"}) as basic:
        assert_error(await basic.get("/api/v1/me"), 401, "unauthenticated")


async def test_logout_needs_csrf_and_ends_the_session(client: httpx.AsyncClient) -> None:
    account = await sign_up(client, "ada@example.com")
    del client.headers["X-CSRF-Token"]
    assert_error(await client.post("/api/v1/auth/logout"), 403, "csrf_failed")
    response = await client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": "wrong"})
    assert_error(response, 403, "csrf_failed")
    stolen_cookie = client.cookies["py_app_session"]
    response = await client.post(
        "/api/v1/auth/logout", headers={"X-CSRF-Token": account.csrf_token}
    )
    assert response.status_code == 204
    assert_error(await client.get("/api/v1/me"), 401)
    # The session is revoked server-side: the old cookie no longer works anywhere.
    client.cookies.set("py_app_session", stolen_cookie)
    assert_error(await client.get("/api/v1/me"), 401)


LIMITS = {"login_limit_per_account": 3, "login_limit_per_ip": 5, "register_limit_per_ip": 4}


async def _login(
    client: httpx.AsyncClient, email: str, password: str, address: str
) -> httpx.Response:
    # The harness's uvicorn trusts X-Forwarded-For from 127.0.0.1, as behind a proxy.
    return await client.post(
        "/api/v1/auth/login",
        json={"email": email, "password": password},
        headers={"X-Forwarded-For": address},
    )


@pytest.mark.parametrize("settings_overrides", [LIMITS])
async def test_failed_sign_ins_are_limited_per_account_and_address(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ada@example.com")
    attacker, owner = "203.0.113.7", "198.51.100.20"
    for _ in range(3):
        assert_error(await _login(client, "ada@example.com", "wrong guess!", attacker), 401)
    # Ada's limit from this address (3 failures) is used up, even with the right password.
    response = await _login(client, "ada@example.com", PASSWORD, attacker)
    assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 300
    # Ada herself, from an address that has not failed, is never refused; successes
    # do not count, however many.
    for _ in range(LIMITS["login_limit_per_ip"] + 2):
        assert (await _login(client, "ada@example.com", PASSWORD, owner)).status_code == 200
    assert_error(await _login(client, "ada@example.com", "a slip of the finger", owner), 401)
    assert (await _login(client, "ada@example.com", PASSWORD, owner)).status_code == 200


@pytest.mark.parametrize("settings_overrides", [LIMITS])
async def test_an_address_that_keeps_failing_is_limited_on_every_account(
    client: httpx.AsyncClient,
) -> None:
    await sign_up(client, "ada@example.com")
    sprayer = "203.0.113.8"
    statuses = [
        (await _login(client, f"u{index}@example.com", PASSWORD, sprayer)).status_code
        for index in range(LIMITS["login_limit_per_ip"] + 1)
    ]
    assert statuses == [401] * LIMITS["login_limit_per_ip"] + [429]
    assert_error(await _login(client, "ada@example.com", PASSWORD, sprayer), 429, "rate_limited")
    assert (await _login(client, "ada@example.com", PASSWORD, "198.51.100.20")).status_code == 200


@pytest.mark.parametrize("settings_overrides", [LIMITS])
async def test_registration_is_limited_per_address(client: httpx.AsyncClient) -> None:
    for index in range(LIMITS["register_limit_per_ip"] + 1):
        response = await client.post(
            "/api/v1/auth/register",
            json={"email": f"u{index}@example.com", "password": PASSWORD, "display_name": "U"},
        )
    assert_error(response, 429, "rate_limited")
    assert "Retry-After" in response.headers


async def test_signing_in_again_replaces_the_session(live_app: LiveApp) -> None:
    async with live_app.client() as client:
        await sign_up(client, "ada@example.com")
        first_cookie = client.cookies["py_app_session"]
        response = await client.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": PASSWORD}
        )
        assert response.status_code == 200
        assert client.cookies["py_app_session"] != first_cookie
        assert (await client.get("/api/v1/me")).status_code == 200
    async with live_app.client(cookies={"py_app_session": first_cookie}) as old:
        assert_error(await old.get("/api/v1/me"), 401)
