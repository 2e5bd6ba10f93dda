"""A chat's versions in the browser: edit a message, regenerate a reply, ‹ n / m ›.

Every test also fails on a console error or a failed request (see conftest.py) and
leaves screenshots of what it checked.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from .conftest import Snap, sign_up
from .test_chat_ui import last_reply, start_chat

pytestmark = pytest.mark.browser


def user_message(page: Page) -> Locator:
    return page.locator(".message.user").last


async def finished(page: Page) -> None:
    await expect(last_reply(page)).to_have_attribute("data-status", "complete", timeout=20_000)


async def test_edit_regenerate_and_switch_versions(page: Page, snap: Snap) -> None:
    await sign_up(page)
    await start_chat(page, "Tell me about trains")
    await finished(page)

    # Edit: the new text is a second version; the reply answers it.
    await user_message(page).hover()
    await user_message(page).locator("button.edit-message").click()
    editor = user_message(page).locator(".edit-box textarea")
    await expect(editor).to_have_value("Tell me about trains")
    await editor.fill("Tell me about zeppelins")
    await snap("editing")
    await user_message(page).locator(".edit-box button[type=submit]").click()
    await expect(user_message(page).locator(".body")).to_have_text("Tell me about zeppelins")
    await finished(page)
    await expect(last_reply(page).locator(".body")).to_contain_text("zeppelins")
    await expect(user_message(page).locator(".version-count")).to_have_text("2 / 2")
    await snap("edited")

    # ‹ shows the first version again, with its own reply.
    await user_message(page).locator("button.version[aria-label='Previous version']").click()
    await expect(user_message(page).locator(".body")).to_have_text("Tell me about trains")
    await expect(user_message(page).locator(".version-count")).to_have_text("1 / 2")
    await expect(last_reply(page).locator(".body")).to_contain_text("trains")
    await expect(page.locator(".message")).to_have_count(2)

    # Regenerate: a new reply beside the old one, streamed in place.
    first_reply = await last_reply(page).get_attribute("data-id")
    await last_reply(page).locator("button.regenerate").click()
    await expect(last_reply(page)).not_to_have_attribute("data-id", first_reply or "")
    await finished(page)
    await expect(last_reply(page).locator(".version-count")).to_have_text("2 / 2")
    await expect(page.locator(".message")).to_have_count(2)
    await snap("regenerated")

    # A reload shows the same branch: what the thread shows is stored.
    await page.reload()
    await expect(last_reply(page).locator(".version-count")).to_have_text("2 / 2")
    await expect(user_message(page).locator(".body")).to_have_text("Tell me about trains")
