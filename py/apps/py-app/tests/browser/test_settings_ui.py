"""The settings page as a person uses it, at a desktop and a phone size: reached from
the account menu, it ends another browser's session, changes the password (every
other browser signed out, this one kept) and deletes the account."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from playwright.async_api import Page, expect

from ..harness import PASSWORD, LiveApp, assert_error  # noqa: TID252 (shared app test helpers)
from .conftest import Problems, Snap, Viewport, sign_up

pytestmark = pytest.mark.browser

NEW_PASSWORD = "a fresh long passphrase"
FIREFOX_ON_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:130.0) Gecko/130.0 Firefox/130.0"
CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36"
)


@asynccontextmanager
async def other_device(live_app: LiveApp, user_agent: str) -> AsyncIterator[httpx.AsyncClient]:
    """The same account signed in from another browser."""
    async with live_app.client(headers={"User-Agent": user_agent}) as device:
        login = {"email": "ada@example.com", "password": PASSWORD}
        response = await device.post("/api/v1/auth/login", json=login)
        assert response.status_code == 200, response.text
        yield device


async def open_settings(page: Page, viewport: Viewport) -> None:
    """From a chat page, through the account menu at the foot of the sidebar."""
    await page.goto("/threads")
    if viewport == "phone":
        await page.locator("#sidebar-open").click()
    await page.locator("#sidebar").get_by_role("link", name="Settings").click()
    await expect(page).to_have_url(re.compile(r"/settings$"))


async def test_end_a_session_and_change_the_password(
    page: Page, live_app: LiveApp, viewport: Viewport, snap: Snap, problems: Problems
) -> None:
    await sign_up(page)
    async with (
        other_device(live_app, FIREFOX_ON_ANDROID) as phone,
        other_device(live_app, CHROME_ON_WINDOWS) as desktop,
    ):
        await open_settings(page, viewport)
        rows = page.locator("#sessions tbody tr")
        await expect(rows).to_have_count(3)
        await expect(page.locator("#sessions tr.current")).to_contain_text("This browser")
        await expect(rows.filter(has_text="Firefox on Android")).to_have_count(1)
        await expect(rows.filter(has_text="Chrome on Windows")).to_have_count(1)
        await page.locator("#sessions").scroll_into_view_if_needed()
        await snap("sessions")

        await page.get_by_role("button", name="End the session of Firefox on Android").click()
        await expect(rows).to_have_count(2)
        await expect(rows.filter(has_text="Firefox on Android")).to_have_count(0)
        assert_error(await phone.get("/api/v1/me"), 401, "unauthenticated")
        assert (await desktop.get("/api/v1/me")).status_code == 200

        form = page.locator("#password-form")
        # A wrong current password is said so, and changes nothing.
        problems.expect(r"422.*/api/v1/me/password")  # the response and its console line
        await form.get_by_label("Current password").fill("not my password")
        await form.locator('input[name="new_password"]').fill(NEW_PASSWORD)
        await form.locator('input[name="confirm_password"]').fill(NEW_PASSWORD)
        await form.get_by_role("button", name="Change password").click()
        await expect(form.locator(".error")).to_contain_text("current password is wrong")
        assert (await desktop.get("/api/v1/me")).status_code == 200

        await form.get_by_label("Current password").fill(PASSWORD)
        await form.locator('input[name="new_password"]').fill(NEW_PASSWORD)
        await form.locator('input[name="confirm_password"]').fill(NEW_PASSWORD)
        await form.get_by_role("button", name="Change password").click()
        await expect(page.locator("#password-done")).to_be_visible()
        await expect(form.locator(".error")).to_be_hidden()
        await expect(rows).to_have_count(1)  # only this browser is left
        await expect(rows.first).to_contain_text("This browser")
        assert_error(await desktop.get("/api/v1/me"), 401, "unauthenticated")
        await page.locator("#sessions").scroll_into_view_if_needed()
        await snap("password-changed")

    await page.reload()  # still signed in here
    await expect(page).to_have_url(re.compile(r"/settings$"))
    async with live_app.client() as fresh:
        login = {"email": "ada@example.com", "password": NEW_PASSWORD}
        assert (await fresh.post("/api/v1/auth/login", json=login)).status_code == 200


@pytest.mark.parametrize("viewport", ["desktop"])
async def test_delete_the_account(
    page: Page, live_app: LiveApp, viewport: Viewport, snap: Snap, problems: Problems
) -> None:
    csrf = await sign_up(page)
    made = await page.request.post(
        "/api/v1/threads", data={"title": "Soon gone"}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status == 201
    await open_settings(page, viewport)
    await expect(page.locator("#usage")).to_contain_text("0 in · 0 out")
    card = page.locator(".danger-zone")
    problems.expect(r"422.*/api/v1/me\b")
    await card.get_by_label("Your password").fill("wrong password!")
    page.once("dialog", lambda dialog: dialog.accept())
    await card.get_by_role("button", name="Delete account").click()
    await expect(card.locator(".error")).to_contain_text("password is wrong")

    await card.get_by_label("Your password").fill(PASSWORD)
    page.once("dialog", lambda dialog: dialog.accept())
    await card.get_by_role("button", name="Delete account").click()
    await expect(page).to_have_url(re.compile(r"/signup$"))
    await snap("deleted")
    await page.goto("/threads")
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    async with live_app.client() as fresh:
        login = {"email": "ada@example.com", "password": PASSWORD}
        assert_error(await fresh.post("/api/v1/auth/login", json=login), 401)
