"""The administrator API and pages over HTTP: who may reach them, and each action."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from py_app.admin import run as make_admin_cli
from py_app.pages import admin as admin_pages
from py_app.settings import Settings

from .harness import PASSWORD, Account, LiveApp, assert_error, new_thread, post, sign_up

_SOME_ID = "0190b1e2-0000-7000-8000-000000000000"


async def as_admin(client: httpx.AsyncClient, settings: Settings, email: str) -> Account:
    """Sign up `email`, then make it an administrator the way the operator does."""
    account = await sign_up(client, email, "Root")
    await make_admin_cli(email, None, settings)
    return account


async def new_admin(client: httpx.AsyncClient, settings: Settings, email: str) -> str:
    """An administrator the operator creates (no sign-up at all), signed in on `client`
    with the one-time password; returns their id."""
    made = await make_admin_cli(email, None, settings)
    assert made.password is not None
    login = await client.post(
        "/api/v1/auth/login", json={"email": email, "password": made.password}
    )
    assert login.status_code == 200, login.text
    client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
    return made.user.id


def _admin_routes(live_app: LiveApp) -> list[tuple[str, str]]:
    """Every administrator route: the API's from the OpenAPI schema (so a section added
    later is covered too), the pages' from their router."""
    routes = [
        (method.upper(), path)
        for path, operations in live_app.app.openapi()["paths"].items()
        if path.startswith("/api/v1/admin")
        for method in operations
    ]
    routes += [
        (method, route.path)
        for route in admin_pages.router.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    ]
    return [(method, re.sub(r"\{[^}]+\}", _SOME_ID, path)) for method, path in routes]


_BODIES: dict[str, Any] = {"PATCH": {"role": "admin"}, "PUT": {"mode": "open"}, "POST": {}}


async def test_a_user_gets_403_on_every_admin_route(
    live_app: LiveApp, client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    user = await sign_up(client, "ada@example.com")
    routes = _admin_routes(live_app)
    # Every section of the API and of the pages is among them.
    paths = {path for _, path in routes}
    assert {"/api/v1/admin/users", "/api/v1/admin/invites", "/admin/users", "/admin/audit"} <= paths
    for method, path in routes:
        response = await client.request(method, path, json=_BODIES.get(method))
        assert_error(response, 403, "forbidden")
        # A page asked for by a browser is the 403 page, not JSON.
        if not path.startswith("/api/"):
            page = await client.request(method, path, headers={"Accept": "text/html"})
            assert page.status_code == 403
            assert "Not allowed" in page.text
        anonymous = await other_client.request(method, path, json=_BODIES.get(method))
        if path.startswith("/api/"):
            assert_error(anonymous, 401, "unauthenticated")
        else:
            assert anonymous.status_code == 303
            assert anonymous.headers["location"].startswith("/signin?next=")
    # None of it happened: still a user, registration still open.
    me = (await client.get("/api/v1/admin/users/" + user.id)).status_code
    assert me == 403
    assert (await client.get("/admin", headers={"Accept": "text/html"})).status_code == 403


async def test_list_search_page_and_see_a_users_usage(
    live_app: LiveApp,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    app_settings: Settings,
) -> None:
    ada = await sign_up(other_client, "ada@example.com", "Ada")
    thread = await new_thread(other_client)
    await post(other_client, thread["id"], "hello")
    for n in range(3):
        async with live_app.client() as extra:
            await sign_up(extra, f"user{n}@example.com", f"User {n}")
    await as_admin(client, app_settings, "root@example.com")

    first = (await client.get("/api/v1/admin/users", params={"limit": 3})).json()
    assert [u["email"] for u in first["items"]] == [
        "root@example.com",
        "user2@example.com",
        "user1@example.com",
    ]
    rest = await client.get(
        "/api/v1/admin/users", params={"limit": 3, "cursor": first["next_cursor"]}
    )
    assert [u["email"] for u in rest.json()["items"]] == ["user0@example.com", "ada@example.com"]
    assert rest.json()["next_cursor"] is None
    found = (await client.get("/api/v1/admin/users", params={"q": "ADA"})).json()["items"]
    assert [(u["id"], u["role"], u["status"]) for u in found] == [(ada.id, "user", "active")]
    assert_error(await client.get("/api/v1/admin/users", params={"cursor": "x"}), 422)
    assert_error(await client.get("/api/v1/admin/users", params={"limit": 0}), 422)

    # Her reply's tokens, once it is written.
    for _ in range(200):
        detail = (await client.get(f"/api/v1/admin/users/{ada.id}")).json()
        if detail["usage"]["output_tokens"]:
            break
        await asyncio.sleep(0.05)
    assert (detail["threads"], detail["sessions"], detail["api_tokens"]) == (1, 1, 0)
    assert detail["usage"]["output_tokens"] > 0
    usage = await client.get(f"/api/v1/admin/users/{ada.id}/usage")
    assert usage.json() == detail["usage"]
    later = await client.get(
        f"/api/v1/admin/users/{ada.id}/usage", params={"since": "2999-01-01T00:00:00Z"}
    )
    assert later.json() == {"input_tokens": 0, "output_tokens": 0}
    assert_error(await client.get(f"/api/v1/admin/users/{_SOME_ID}"), 404, "not_found")
    assert_error(await client.get("/api/v1/admin/users/not-an-id!"), 404, "not_found")


async def test_role_disable_and_enable_take_effect_at_once(
    live_app: LiveApp,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    app_settings: Settings,
) -> None:
    ada = await sign_up(other_client, "ada@example.com")
    token = (await other_client.post("/api/v1/tokens", json={"name": "script"})).json()["token"]
    thread = await new_thread(other_client)
    root = await as_admin(client, app_settings, "root@example.com")
    bearer = {"Authorization": f"Bearer {token}"}

    response = await client.patch(f"/api/v1/admin/users/{ada.id}", json={"role": "admin"})
    assert response.json()["role"] == "admin"
    assert (await other_client.get("/api/v1/admin/users")).status_code == 200
    await client.patch(f"/api/v1/admin/users/{ada.id}", json={"role": "user"})
    assert_error(await other_client.get("/api/v1/admin/users"), 403, "forbidden")

    response = await client.patch(f"/api/v1/admin/users/{ada.id}", json={"status": "disabled"})
    assert response.json()["status"] == "disabled"
    # Her browser and her token are refused on their very next request.
    assert_error(await other_client.get("/api/v1/me"), 401, "unauthenticated")
    async with live_app.client(headers=bearer) as script:
        assert_error(await script.get("/api/v1/threads"), 401, "unauthenticated")
        login = {"email": "ada@example.com", "password": PASSWORD}
        async with live_app.client() as again:
            assert_error(await again.post("/api/v1/auth/login", json=login), 403, "forbidden")

        await client.patch(f"/api/v1/admin/users/{ada.id}", json={"status": "active"})
        # Her data stayed; the token works again; the browser signs in again.
        threads = (await script.get("/api/v1/threads")).json()["items"]
        assert [t["id"] for t in threads] == [thread["id"]]
    assert_error(await other_client.get("/api/v1/me"), 401, "unauthenticated")

    # Not your own account, and a body that says nothing is 422.
    mine = f"/api/v1/admin/users/{root.id}"
    assert_error(await client.patch(mine, json={"role": "user"}), 409, "conflict")
    assert_error(await client.patch(mine, json={"status": "disabled"}), 409, "conflict")
    assert_error(await client.delete(mine), 409, "conflict")
    assert_error(await client.patch(f"/api/v1/admin/users/{ada.id}", json={}), 422)
    assert_error(await client.patch(f"/api/v1/admin/users/{ada.id}", json={"role": "god"}), 422)

    audit = (await client.get("/api/v1/admin/audit", params={"target_id": ada.id})).json()
    assert [e["action"] for e in audit["items"]] == [
        "user.enabled",
        "user.disabled",
        "user.role_changed",
        "user.role_changed",
    ]
    assert {e["actor_id"] for e in audit["items"]} == {root.id}
    assert {e["target_name"] for e in audit["items"]} == {"ada@example.com"}


async def test_delete_removes_the_user_and_nothing_of_anyone_else(
    live_app: LiveApp,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    app_settings: Settings,
) -> None:
    ada = await sign_up(other_client, "ada@example.com")
    await other_client.post("/api/v1/tokens", json={"name": "script"})
    await post(other_client, (await new_thread(other_client))["id"], "mine")
    async with live_app.client() as grace_client:
        await sign_up(grace_client, "grace@example.com")
        kept = await new_thread(grace_client)
        await post(grace_client, kept["id"], "hers")
        await as_admin(client, app_settings, "root@example.com")

        assert (await client.delete(f"/api/v1/admin/users/{ada.id}")).status_code == 204
        assert_error(await other_client.get("/api/v1/me"), 401, "unauthenticated")
        assert_error(await client.get(f"/api/v1/admin/users/{ada.id}"), 404, "not_found")
        assert_error(await client.delete(f"/api/v1/admin/users/{ada.id}"), 404, "not_found")
        emails = [u["email"] for u in (await client.get("/api/v1/admin/users")).json()["items"]]
        assert emails == ["root@example.com", "grace@example.com"]
        messages = (await grace_client.get(f"/api/v1/threads/{kept['id']}/messages")).json()
        assert [m["role"] for m in messages["items"]] == ["user", "assistant"]
    [entry] = (await client.get("/api/v1/admin/audit", params={"target_id": ada.id})).json()[
        "items"
    ]
    assert (entry["action"], entry["target_name"]) == ("user.deleted", "ada@example.com")
    # The email is free again.
    async with live_app.client() as fresh:
        await sign_up(fresh, "ada@example.com")


async def test_reset_password_hands_out_a_one_time_password_to_change(
    live_app: LiveApp,
    client: httpx.AsyncClient,
    other_client: httpx.AsyncClient,
    app_settings: Settings,
) -> None:
    ada = await sign_up(other_client, "ada@example.com")
    await as_admin(client, app_settings, "root@example.com")
    response = await client.post(f"/api/v1/admin/users/{ada.id}/password-reset")
    assert response.status_code == 200, response.text
    one_time = response.json()["one_time_password"]
    assert response.json()["user"]["password_change_required"] is True
    assert_error(await other_client.get("/api/v1/me"), 401, "unauthenticated")

    async with live_app.client() as browser:
        old = {"email": "ada@example.com", "password": PASSWORD}
        assert_error(await browser.post("/api/v1/auth/login", json=old), 401)
        login = await browser.post(
            "/api/v1/auth/login", json={"email": "ada@example.com", "password": one_time}
        )
        assert login.status_code == 200
        browser.headers["X-CSRF-Token"] = login.json()["csrf_token"]
        # Every page but Settings sends her to choose her own password.
        page = await browser.get("/threads")
        assert (page.status_code, page.headers["location"]) == (303, "/settings#password-heading")
        settings = await browser.get("/settings")
        assert settings.status_code == 200
        assert 'id="password-required"' in settings.text
        changed = await browser.post(
            "/api/v1/me/password",
            json={"current_password": one_time, "new_password": "her own long passphrase"},
        )
        assert changed.status_code == 204
        assert (await browser.get("/threads")).status_code == 200
    detail = (await client.get(f"/api/v1/admin/users/{ada.id}")).json()
    assert detail["password_change_required"] is False


@pytest.mark.parametrize("settings_overrides", [{"registration": "invite"}])
async def test_registration_modes_and_invite_links(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    await new_admin(client, app_settings, "root@example.com")  # sign-up is by invitation
    new = {"email": "bob@example.com", "password": PASSWORD, "display_name": "Bob"}
    state = (await client.get("/api/v1/admin/registration")).json()
    assert (state["mode"], state["configured"], state["chosen"]) == ("invite", "invite", False)

    async with live_app.client() as visitor:
        assert_error(await visitor.post("/api/v1/auth/register", json=new), 403, "invite_required")
        page = await visitor.get("/signup")
        assert "by invitation" in page.text
        assert 'id="signup-form"' not in page.text

        created = await client.post("/api/v1/admin/invites", json={"note": "Bob", "days": 2})
        assert created.status_code == 201, created.text
        invite = created.json()
        assert invite["state"] == "pending"
        code = httpx.URL(invite["url"]).params["invite"]
        assert invite["url"].startswith(f"{live_app.base_url}/signup?invite=")
        page = await visitor.get(invite["url"])
        assert 'id="signup-form"' in page.text
        assert f'name="invite" value="{code}"' in page.text

        response = await visitor.post("/api/v1/auth/register", json={**new, "invite": code})
        assert response.status_code == 201, response.text
        again = {**new, "email": "eve@example.com", "invite": code}
        refused = await visitor.post("/api/v1/auth/register", json=again)
        assert_error(refused, 403, "invite_invalid")
        assert "used already" in refused.json()["error"]["message"]
        assert "used already" in (await visitor.get(invite["url"])).text
        forged = {**again, "invite": "made-up"}
        assert_error(
            await visitor.post("/api/v1/auth/register", json=forged), 403, "invite_invalid"
        )

        listed = (await client.get("/api/v1/admin/invites")).json()["items"]
        assert [(i["id"], i["state"], i["note"]) for i in listed] == [(invite["id"], "used", "Bob")]
        assert listed[0]["used_by_id"] == response.json()["id"]

        revoked = (await client.post("/api/v1/admin/invites", json={})).json()
        assert revoked["expires_at"] > revoked["created_at"]
        assert (await client.delete(f"/api/v1/admin/invites/{revoked['id']}")).status_code == 204
        revoked_code = httpx.URL(revoked["url"]).params["invite"]
        late = {**again, "invite": revoked_code}
        assert_error(await visitor.post("/api/v1/auth/register", json=late), 403, "invite_invalid")
        assert_error(await client.delete(f"/api/v1/admin/invites/{invite['id']}"), 404)
        assert_error(await client.post("/api/v1/admin/invites", json={"days": 31}), 422)

        # An administrator closes it: the page says so, sign-up is refused, invite or not.
        closed = await client.put("/api/v1/admin/registration", json={"mode": "closed"})
        assert (closed.json()["mode"], closed.json()["chosen"]) == ("closed", True)
        assert "Registration is closed" in (await visitor.get("/signup")).text
        assert_error(
            await visitor.post("/api/v1/auth/register", json=again), 403, "registration_closed"
        )
        await client.put("/api/v1/admin/registration", json={"mode": "open"})
        opened = {**new, "email": "carol@example.com"}
        assert (await visitor.post("/api/v1/auth/register", json=opened)).status_code == 201
        back = await client.put("/api/v1/admin/registration", json={"mode": None})
        assert (back.json()["mode"], back.json()["chosen"]) == ("invite", False)
        assert_error(await client.put("/api/v1/admin/registration", json={"mode": "x"}), 422)

    actions = [e["action"] for e in (await client.get("/api/v1/admin/audit")).json()["items"]]
    assert actions == [
        "registration.changed",
        "registration.changed",
        "registration.changed",
        "invite.revoked",
        "invite.created",
        "invite.created",
        "user.created",
    ]


@pytest.mark.parametrize("settings_overrides", [{"registration": "invite"}])
async def test_an_expired_invite_is_refused(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    from sqlalchemy import update

    from py_core.database import create_engine, create_session_factory, session_scope
    from py_core.database.models import Invite
    from py_core.database.utils import utcnow

    await new_admin(client, app_settings, "root@example.com")
    invite = (await client.post("/api/v1/admin/invites", json={"days": 1})).json()
    engine = create_engine(app_settings.database_url)
    try:
        async with session_scope(create_session_factory(engine)) as session:
            await session.execute(
                update(Invite).where(Invite.id == invite["id"]).values(expires_at=utcnow())
            )
    finally:
        await engine.dispose()
    code = httpx.URL(invite["url"]).params["invite"]
    body = {"email": "late@example.com", "password": PASSWORD, "display_name": "Late"}
    async with live_app.client() as visitor:
        refused = await visitor.post("/api/v1/auth/register", json={**body, "invite": code})
        assert_error(refused, 403, "invite_invalid")
        assert "expired" in refused.json()["error"]["message"]
        assert "expired" in (await visitor.get(invite["url"])).text
    [listed] = (await client.get("/api/v1/admin/invites")).json()["items"]
    assert listed["state"] == "expired"


@pytest.mark.parametrize("settings_overrides", [{"registration": "invite"}])
async def test_two_sign_ups_racing_on_one_invite_make_one_account(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    await new_admin(client, app_settings, "root@example.com")
    invite = (await client.post("/api/v1/admin/invites", json={})).json()
    code = httpx.URL(invite["url"]).params["invite"]

    async def register(email: str) -> httpx.Response:
        body = {"email": email, "password": PASSWORD, "display_name": "Racer", "invite": code}
        async with live_app.client() as visitor:
            return await visitor.post("/api/v1/auth/register", json=body)

    answers = await asyncio.gather(*(register(f"racer{n}@example.com") for n in range(4)))
    assert sorted(r.status_code for r in answers) == [201, 403, 403, 403]
    for refused in (r for r in answers if r.status_code == 403):
        assert_error(refused, 403, "invite_invalid")
    users = (await client.get("/api/v1/admin/users", params={"q": "racer"})).json()["items"]
    assert len(users) == 1
