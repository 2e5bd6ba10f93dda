"""The signed-in user's own account over HTTP: password, sessions, usage, deletion."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from .harness import (
    PASSWORD,
    LiveApp,
    assert_error,
    new_thread,
    post,
    read_events,
    sign_up,
    wait_for_reply,
)

NEW_PASSWORD = "another long passphrase"


@asynccontextmanager
async def signed_in(
    live: LiveApp, email: str, *, headers: dict[str, str] | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser of the same user, signed in."""
    async with live.client(headers=headers) as client:
        login = {"email": email, "password": PASSWORD}
        response = await client.post("/api/v1/auth/login", json=login)
        assert response.status_code == 200, response.text
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        yield client


async def test_sessions_are_listed_with_device_address_and_last_use_and_can_be_ended(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    client.headers["User-Agent"] = "Laptop browser"
    await sign_up(client, "ada@example.com")
    async with signed_in(
        live_app, "ada@example.com", headers={"User-Agent": "Phone browser"}
    ) as phone:
        sessions = (await client.get("/api/v1/me/sessions")).json()["items"]
        assert [(s["user_agent"], s["current"]) for s in sessions] == [
            ("Phone browser", False),
            ("Laptop browser", True),
        ]
        assert {s["address"] for s in sessions} == {"127.0.0.1"}
        assert all(s["last_seen_at"] >= s["created_at"] for s in sessions)
        assert [s["current"] for s in (await phone.get("/api/v1/me/sessions")).json()["items"]] == [
            True,
            False,
        ]

        response = await client.delete(f"/api/v1/me/sessions/{sessions[0]['id']}")
        assert response.status_code == 204
        assert_error(await phone.get("/api/v1/me"), 401, "unauthenticated")
        assert [
            s["user_agent"] for s in (await client.get("/api/v1/me/sessions")).json()["items"]
        ] == ["Laptop browser"]
        # Ending it twice is no error.
        response = await client.delete(f"/api/v1/me/sessions/{sessions[0]['id']}")
        assert response.status_code == 204


async def test_another_users_sessions_are_404_and_never_listed(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    await sign_up(other_client, "eve@example.com")
    [theirs] = (await other_client.get("/api/v1/me/sessions")).json()["items"]
    [mine] = (await client.get("/api/v1/me/sessions")).json()["items"]
    assert theirs["id"] != mine["id"]
    assert_error(await client.delete(f"/api/v1/me/sessions/{theirs['id']}"), 404, "not_found")
    assert_error(await client.delete("/api/v1/me/sessions/not-an-id!"), 404, "not_found")
    assert (await other_client.get("/api/v1/me")).status_code == 200
    # Nor are their tokens: the tokens API answers for the signed-in user only.
    token = (await other_client.post("/api/v1/tokens", json={"name": "eve's"})).json()
    assert (await client.get("/api/v1/tokens")).json()["items"] == []
    assert_error(await client.delete(f"/api/v1/tokens/{token['id']}"), 404, "not_found")


async def test_change_password_needs_the_current_one_and_ends_every_other_session(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    token = (await client.post("/api/v1/tokens", json={"name": "script"})).json()["token"]
    async with signed_in(live_app, "ada@example.com") as elsewhere:
        body = {"current_password": "not my password", "new_password": NEW_PASSWORD}
        response = await client.post("/api/v1/me/password", json=body)
        assert_error(response, 422, "invalid_input")
        assert response.json()["error"]["field"] == "current_password"
        body = {"current_password": PASSWORD, "new_password": "password123"}
        response = await client.post("/api/v1/me/password", json=body)
        assert_error(response, 422, "invalid_input")
        assert response.json()["error"]["field"] == "password"
        assert (await elsewhere.get("/api/v1/me")).status_code == 200  # nothing changed yet

        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert (await client.post("/api/v1/me/password", json=body)).status_code == 204
        assert (await client.get("/api/v1/me")).status_code == 200  # this browser stays
        assert_error(await elsewhere.get("/api/v1/me"), 401, "unauthenticated")
        assert len((await client.get("/api/v1/me/sessions")).json()["items"]) == 1

    async with live_app.client() as fresh:
        login = {"email": "ada@example.com", "password": PASSWORD}
        assert_error(await fresh.post("/api/v1/auth/login", json=login), 401)
        login["password"] = NEW_PASSWORD
        assert (await fresh.post("/api/v1/auth/login", json=login)).status_code == 200
    # API tokens are not sessions: revoked apart, on their own page.
    async with live_app.client(headers={"Authorization": f"Bearer {token}"}) as bot:
        assert (await bot.get("/api/v1/me")).status_code == 200


async def test_a_token_changing_the_password_ends_every_session(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    token = (await client.post("/api/v1/tokens", json={"name": "script"})).json()["token"]
    async with live_app.client(headers={"Authorization": f"Bearer {token}"}) as bot:
        body = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        assert (await bot.post("/api/v1/me/password", json=body)).status_code == 204
    assert_error(await client.get("/api/v1/me"), 401, "unauthenticated")


async def test_usage_counts_the_users_replies(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    nothing = {"input_tokens": 0, "output_tokens": 0, "budgets": [], "warning": False}
    assert (await client.get("/api/v1/me/usage")).json() == nothing
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Count me words=4")
    reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    usage = (await client.get("/api/v1/me/usage")).json()
    tokens = {key: reply["usage"][key] for key in ("input_tokens", "output_tokens")}
    assert usage == {**tokens, "budgets": [], "warning": False}
    # The echo model has no price: its reply's cost is unknown, not $0.
    assert reply["usage"]["cost_usd"] is None
    assert usage["output_tokens"] > 0
    later = await client.get("/api/v1/me/usage", params={"since": "2999-01-01T00:00:00Z"})
    assert later.json() == nothing
    # A time without its zone is ambiguous: refused, not guessed.
    naive = await client.get("/api/v1/me/usage", params={"since": "2026-01-01T00:00:00"})
    assert_error(naive, 422, "invalid_input")


async def test_delete_account_asks_for_the_password_and_takes_everything(
    live_app: LiveApp, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    me = await sign_up(client, "ada@example.com")
    await sign_up(other_client, "eve@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Remember me words=2")
    await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    token = (await client.post("/api/v1/tokens", json={"name": "script"})).json()["token"]
    theirs = await new_thread(other_client)

    response = await client.request("DELETE", "/api/v1/me", json={"password": "wrong one!"})
    assert_error(response, 422, "invalid_input")
    assert response.json()["error"]["field"] == "password"
    assert_error(await client.request("DELETE", "/api/v1/me"), 422, "invalid_input")
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": PASSWORD}, headers={"X-CSRF-Token": ""}
    )
    assert_error(response, 403, "csrf_failed")
    assert (await client.get(f"/api/v1/threads/{thread['id']}")).status_code == 200

    async with signed_in(live_app, me.email) as elsewhere:
        response = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
        assert response.status_code == 204
        assert "py_app_session=" in response.headers["set-cookie"]  # cleared
        for browser in (client, elsewhere):
            assert_error(await browser.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client(headers={"Authorization": f"Bearer {token}"}) as bot:
        assert_error(await bot.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client() as fresh:
        login = {"email": me.email, "password": PASSWORD}
        assert_error(await fresh.post("/api/v1/auth/login", json=login), 401)
        # The address is free again.
        register = {**login, "display_name": "Ada again"}
        assert (await fresh.post("/api/v1/auth/register", json=register)).status_code == 201
        await fresh.post("/api/v1/auth/login", json=login)
        assert (await fresh.get("/api/v1/threads")).json()["items"] == []
    assert (await other_client.get(f"/api/v1/threads/{theirs['id']}")).status_code == 200


async def test_deleting_the_account_ends_its_open_event_streams(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    async with live_app.client(cookies=client.cookies) as stream_client:
        reading = asyncio.create_task(
            read_events(stream_client, thread["id"], stop=lambda e: e.event == "thread.deleted")
        )
        await asyncio.sleep(0.3)
        response = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
        assert response.status_code == 204
        events = await reading
    assert [e.event for e in events][-1] == "thread.deleted"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/me/sessions"),
        ("DELETE", "/api/v1/me/sessions/0190a1b2-0000-7000-8000-000000000000"),
        ("POST", "/api/v1/me/password"),
        ("GET", "/api/v1/me/usage"),
        ("DELETE", "/api/v1/me"),
    ],
)
async def test_the_account_routes_need_a_user(live_app: LiveApp, method: str, path: str) -> None:
    async with live_app.client() as anonymous:
        assert_error(await anonymous.request(method, path), 401, "unauthenticated")


@pytest.mark.parametrize("model_delay", [0.05])
async def test_deleting_the_account_while_a_reply_is_written(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "A long answer words=40")  # about 2 s
    reply_id = turn["assistant_message"]["id"]
    async with asyncio.timeout(10):
        while True:
            items = (await client.get(f"/api/v1/threads/{thread['id']}/messages")).json()["items"]
            if any(m["id"] == reply_id and m["status"] == "streaming" for m in items):
                break
            await asyncio.sleep(0.05)
    response = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD})
    assert response.status_code == 204
    # The runner finishes its reply into nothing: no error, no retry loop.
    await asyncio.sleep(3)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_settings_page_needs_a_session_and_shows_the_usage(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    async with live_app.client() as anonymous:
        response = await anonymous.get("/settings")
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=%2Fsettings"
    await sign_up(client, "ada@example.com", name="Ada")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Count me words=4")
    reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    page = (await client.get("/settings")).text
    used = reply["usage"]
    assert f"{used['input_tokens']:,} in · {used['output_tokens']:,} out" in page
    assert "ada@example.com" in page


@pytest.mark.parametrize("settings_overrides", [{"login_limit_per_account": 3}])
async def test_wrong_passwords_on_the_account_routes_are_limited(
    client: httpx.AsyncClient,
) -> None:
    """A stolen session cannot guess the password through the account routes: their
    wrong passwords count like failed sign-ins, for the whole account."""
    await sign_up(client, "ada@example.com")
    # A weak new password is not a guess: it does not count.
    weak = {"current_password": PASSWORD, "new_password": "password123"}
    for _ in range(3):
        assert_error(await client.post("/api/v1/me/password", json=weak), 422)
    wrong = {"current_password": "not my password", "new_password": NEW_PASSWORD}
    for _ in range(3):
        assert_error(await client.post("/api/v1/me/password", json=wrong), 422)
    response = await client.post("/api/v1/me/password", json=wrong)
    assert_error(response, 429, "rate_limited")
    assert int(response.headers["Retry-After"]) > 0
    # Deleting the account asks for the same password: the same count.
    deletion = await client.request("DELETE", "/api/v1/me", json={"password": "guess"})
    assert_error(deletion, 429, "rate_limited")
    assert (await client.get("/api/v1/me")).status_code == 200
