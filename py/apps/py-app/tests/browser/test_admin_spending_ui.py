"""The administrator's Models, Budgets and Usage tabs as an administrator uses them, at
a desktop and a phone size: keep a model for administrators, set everyone's budget and
an override that stops one user, read the usage report and its CSV; the user's chat
page then warns that the budget is spent, and /settings shows it."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime

import pytest
from playwright.async_api import Browser, Page, expect

from py_app.admin import run as make_admin_cli
from py_app.settings import Settings

from ..harness import (  # noqa: TID252 (shared app test helpers)
    PASSWORD,
    LiveApp,
    assert_error,
    new_thread,
    post,
    wait_for_reply,
)
from ..harness import sign_up as sign_up_api  # noqa: TID252
from .conftest import Problems, Snap, Viewport, shoot, sign_up

pytestmark = pytest.mark.browser


async def test_models_budgets_and_usage_from_the_admin_pages(
    page: Page,
    browser: Browser,
    live_app: LiveApp,
    app_settings: Settings,
    viewport: Viewport,
    snap: Snap,
    problems: Problems,
    request: pytest.FixtureRequest,
) -> None:
    await sign_up(page, "root@example.com", "Root Admin")
    await make_admin_cli("root@example.com", None, app_settings)
    async with live_app.client() as ada:
        await sign_up_api(ada, "ada@example.com", "Ada Lovelace")
        thread = await new_thread(ada)
        turn = await post(ada, thread["id"], "Hello words=3")
        reply = await wait_for_reply(ada, thread["id"], turn["assistant_message"]["id"])

        # Models: keep Broken for administrators.
        await page.goto("/admin/models")
        await expect(page.locator("#models tbody tr")).to_have_count(2)
        broken = page.locator('#models tr[data-id="broken"]')
        if viewport == "desktop":
            await expect(broken.locator("td.price")).to_have_text("unknown")
        await expect(broken.locator("td.access")).to_contain_text("Everyone")
        await broken.get_by_text("Change").click()
        await broken.get_by_label("Everyone").uncheck()
        await broken.get_by_role("button", name="Save").click()
        await expect(broken.locator("td.access")).to_contain_text("Administrators only")
        await expect(broken.locator("td.access")).to_contain_text("Chosen here")
        await snap("models")
        models = (await ada.get("/api/v1/models")).json()["items"]
        assert [m["id"] for m in models] == ["echo"]

        # Budgets: everyone's day, then an override that stops Ada.
        await page.get_by_role("link", name="Budgets").click()
        await expect(page).to_have_url(re.compile(r"/admin/budgets$"))
        default = page.locator("#default-budget-form")
        await default.get_by_label("Tokens").fill("100000")
        await default.get_by_role("button", name="Set for everyone").click()
        day = page.locator('#default-budgets tr[data-period="day"]')
        await expect(day).to_contain_text("100,000 tokens")
        await expect(day).to_contain_text("chosen here")
        override = page.locator("#override-form")
        await override.get_by_label("Email").fill("nobody@example.com")
        await override.get_by_label("Tokens").fill("0")
        await override.get_by_role("button", name="Set override").click()
        await expect(override.locator("xpath=following-sibling::p[@role='alert']")).to_contain_text(
            "No account has the email nobody@example.com"
        )
        problems.expect("404")
        await override.get_by_label("Email").fill("ada@example.com")
        await override.get_by_role("button", name="Set override").click()
        row = page.locator('#overrides tr[data-email="ada@example.com"]')
        await expect(row).to_contain_text("0 tokens")
        await snap("budgets")
        refused = await ada.post(
            f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"}
        )
        assert_error(refused, 429, "quota_exceeded")

        # Usage: today's report has Ada's reply on Echo, with its price unknown.
        await page.get_by_role("link", name="Usage").click()
        await expect(page).to_have_url(re.compile(r"/admin/usage$"))
        rows = page.locator("#usage tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("ada@example.com")
        await expect(rows.first).to_contain_text("echo")
        await expect(rows.first).to_contain_text("unknown")
        tokens = reply["usage"]["input_tokens"] + reply["usage"]["output_tokens"]
        await expect(page.locator("#usage-total")).to_contain_text(f"{tokens:,} tokens")
        total = page.locator("#usage-total")
        await expect(total).to_contain_text(", 1 call whose price is unknown")
        await expect(total).not_to_contain_text("$")
        await snap("usage")
        href = await page.locator("#usage-csv").get_attribute("href")
        assert href is not None
        download = await page.request.get(href)
        today = datetime.now(UTC).date().isoformat()
        lines = list(csv.reader(io.StringIO(await download.text())))
        assert lines[1][:4] == [today, "ada@example.com", "echo", "1"]
        assert lines[1][6] == ""  # unknown, never 0

        # The audit log names both changes.
        await page.get_by_role("link", name="Audit log").click()
        audit = page.locator(".audit tbody")
        await expect(audit).to_contain_text("changed a budget")
        await expect(audit).to_contain_text("changed who may use a model")

    # Ada's own view: the chat page warns, /settings shows the spent day.
    context = await browser.new_context(
        base_url=live_app.base_url, viewport=page.viewport_size, color_scheme="light"
    )
    try:
        ada_page = await context.new_page()
        login = await ada_page.request.post(
            "/api/v1/auth/login", data={"email": "ada@example.com", "password": PASSWORD}
        )
        assert login.status == 200, await login.text()
        await ada_page.goto(f"/threads/{thread['id']}")
        warning = ada_page.locator("#budget-warning")
        await expect(warning).to_be_visible()
        await expect(warning).to_contain_text("You have used all of today's budget")
        await shoot(ada_page, f"{request.node.name}-chat-warning")
        await ada_page.goto("/settings")
        await expect(ada_page.locator('#budgets tr[data-period="day"]')).to_contain_text(
            "of 0 tokens"
        )
        await shoot(ada_page, f"{request.node.name}-settings-budget")
    finally:
        await context.close()
