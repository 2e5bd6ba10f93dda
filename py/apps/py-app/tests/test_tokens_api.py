"""Personal API tokens over HTTP: created once, listed, used as Bearer, revoked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from .harness import LiveApp, assert_error, sign_up


async def test_token_lifecycle(live_app: LiveApp, client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    response = await client.post("/api/v1/tokens", json={"name": "script", "expires_at": expires})
    assert response.status_code == 201
    created = response.json()
    assert created["token"].startswith(created["prefix"])
    assert created["name"] == "script"

    listed = (await client.get("/api/v1/tokens")).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is None

    # A program: Bearer token, no cookie, no CSRF header needed even for unsafe methods.
    async with live_app.client(headers={"Authorization": f"Bearer {created['token']}"}) as bot:
        me = await bot.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["email"] == "ada@example.com"
        assert me.json()["csrf_token"] is None
        other = await bot.post("/api/v1/tokens", json={"name": "made by a program"})
        assert other.status_code == 201

    used = {t["id"]: t for t in (await client.get("/api/v1/tokens")).json()["items"]}
    assert used[created["id"]]["last_used_at"] is not None

    assert (await client.delete(f"/api/v1/tokens/{created['id']}")).status_code == 204
    assert_error(await client.delete(f"/api/v1/tokens/{created['id']}"), 404, "not_found")
    async with live_app.client(headers={"Authorization": f"Bearer {created['token']}"}) as bot:
        assert_error(await bot.get("/api/v1/me"), 401, "unauthenticated")


async def test_token_validation_auth_and_csrf(
    live_app: LiveApp, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    assert_error(await client.post("/api/v1/tokens", json={"name": "  "}), 422, "invalid_input")
    assert_error(await client.post("/api/v1/tokens", json={}), 422, "invalid_input")
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    response = await client.post("/api/v1/tokens", json={"name": "x", "expires_at": past})
    assert_error(response, 422, "invalid_input")
    response = await client.post("/api/v1/tokens", json={"name": "x", "expires_at": "soon"})
    assert_error(response, 422, "invalid_input")
    response = await client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": ""})
    assert_error(response, 403, "csrf_failed")

    async with live_app.client() as anonymous:
        assert_error(await anonymous.get("/api/v1/tokens"), 401)
        assert_error(await anonymous.post("/api/v1/tokens", json={"name": "x"}), 401)
        assert_error(await anonymous.delete("/api/v1/tokens/whatever"), 401)

    token = (await client.post("/api/v1/tokens", json={"name": "mine"})).json()
    await sign_up(other_client, "eve@example.com")
    assert (await other_client.get("/api/v1/tokens")).json()["items"] == []
    assert_error(await other_client.delete(f"/api/v1/tokens/{token['id']}"), 404)
    assert len((await client.get("/api/v1/tokens")).json()["items"]) == 1
