"""The administrator's pages as an administrator uses them, at a desktop and a phone
size: from the sidebar's Admin link, find a user, change their role, disable and
re-enable them, reset their password, switch registration to invitations, make an invite
link that a newcomer signs up with, read the audit log, delete the user; and a user
who opens /admin gets the 403 page."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from py_app.admin import run as make_admin_cli
from py_app.settings import Settings

from ..harness import PASSWORD, LiveApp, assert_error  # noqa: TID252 (shared app test helpers)
from ..harness import sign_up as sign_up_api  # noqa: TID252
from .conftest import SIZES, Problems, Snap, Viewport, sign_up

pytestmark = pytest.mark.browser


async def open_admin(page: Page, viewport: Viewport) -> None:
    """From a chat page, through the Admin link at the foot of the sidebar."""
    await page.goto("/threads")
    if viewport == "phone":
        await page.locator("#sidebar-open").click()
    await page.locator("#sidebar").get_by_role("link", name="Admin").click()
    await expect(page).to_have_url(re.compile(r"/admin/users$"))


async def test_run_the_site_from_the_admin_pages(
    page: Page,
    browser: Browser,
    live_app: LiveApp,
    app_settings: Settings,
    viewport: Viewport,
    snap: Snap,
    problems: Problems,
) -> None:
    await sign_up(page, "root@example.com", "Root Admin")
    await make_admin_cli("root@example.com", None, app_settings)
    async with live_app.client() as ada_client:
        ada = await sign_up_api(ada_client, "ada@example.com", "Ada Lovelace")
        for n in range(3):
            async with live_app.client() as extra:
                await sign_up_api(extra, f"user{n}@example.com", f"User {n}")

        await open_admin(page, viewport)
        await expect(page.locator("#users tbody tr")).to_have_count(5)
        await snap("users")
        await page.get_by_label("Search").fill("lovelace")
        await page.get_by_role("button", name="Search").click()
        await expect(page.locator("#users tbody tr")).to_have_count(1)
        await page.get_by_role("link", name="Ada Lovelace").click()
        await expect(page).to_have_url(re.compile(rf"/admin/users/{ada.id}$"))
        await expect(page.locator("#user-usage")).to_contain_text("0 in · 0 out")

        await page.get_by_label("Role").select_option("admin")
        await page.get_by_role("button", name="Change role").click()
        await expect(page.locator("#user-role")).to_have_text("admin")
        assert (await ada_client.get("/api/v1/admin/users")).status_code == 200
        await page.get_by_label("Role").select_option("user")
        await page.get_by_role("button", name="Change role").click()
        await expect(page.locator("#user-role")).to_have_text("user")

        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Disable account").click()
        await expect(page.locator("#user-status")).to_contain_text("disabled")
        assert_error(await ada_client.get("/api/v1/me"), 401, "unauthenticated")
        await page.get_by_role("button", name="Re-enable account").click()
        await expect(page.locator("#user-status")).to_contain_text("active")

        page.once("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Reset password").click()
        one_time = page.locator("#one-time-password-value")
        await expect(one_time).to_have_text(re.compile(r"^\S{16,}$"))
        await page.locator("#one-time-password").scroll_into_view_if_needed()
        await snap("password-reset")
        login = {"email": "ada@example.com", "password": await one_time.inner_text()}
        assert (await ada_client.post("/api/v1/auth/login", json=login)).status_code == 200
        await page.reload()
        await expect(page.locator(".audit tbody tr")).to_have_count(5)

    await page.get_by_role("link", name="Registration").click()
    await page.get_by_label("By invitation: only with an invite link").check()
    await page.get_by_role("button", name="Save").click()
    await expect(page.locator("#registration-now")).to_contain_text("By invitation")
    form = page.locator("#invite-form")
    await form.get_by_label("For whom (optional)").fill("Bob")
    await form.get_by_role("button", name="Create invite link").click()
    await expect(page.locator("#new-invite-url")).to_contain_text("/signup?invite=")
    url = await page.locator("#new-invite-url").inner_text()
    await snap("invite")

    # The newcomer opens the link in a browser of their own and signs up with it.
    newcomer = await browser.new_context(base_url=live_app.base_url, viewport=SIZES[viewport])
    try:
        bob = await newcomer.new_page()
        await bob.goto("/signup")
        await expect(bob.locator("#signup-refused")).to_contain_text("by invitation")
        await bob.goto(url)
        await bob.get_by_label("Name").fill("Bob")
        await bob.get_by_label("Email").fill("bob@example.com")
        await bob.get_by_label("Password").fill(PASSWORD)
        await bob.get_by_role("button", name="Sign up").click()
        await expect(bob).to_have_url(re.compile(r"/threads$"))
        # A user who opens /admin gets the 403 page.
        response = await bob.goto("/admin/users")
        assert response is not None
        assert response.status == 403
        await expect(bob.locator("h1")).to_have_text("Not allowed")
    finally:
        await newcomer.close()
    await page.reload()
    await expect(page.locator("#invites tbody tr")).to_have_count(1)
    await expect(page.locator("#invites tbody tr")).to_have_attribute("data-state", "used")
    await snap("registration")

    await page.get_by_role("link", name="Audit log").click()
    await expect(page.locator(".audit tbody tr").first).to_contain_text("created an invite")
    await snap("audit")

    await page.get_by_role("link", name="Users").click()
    await page.get_by_role("link", name="Ada Lovelace").click()
    card = page.locator(".danger-zone")
    await card.get_by_label("Type their email to confirm").fill("ada@example.com")
    await card.get_by_role("button", name="Delete account").click()
    await expect(page).to_have_url(re.compile(r"/admin/users$"))
    await expect(page.get_by_role("link", name="Ada Lovelace")).to_have_count(0)
    async with httpx.AsyncClient(base_url=live_app.base_url) as gone:
        login = {"email": "ada@example.com", "password": PASSWORD}
        assert_error(await gone.post("/api/v1/auth/login", json=login), 401)
