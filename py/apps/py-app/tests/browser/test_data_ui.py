"""The Import & export page as a person uses it, at a desktop and a phone size:
reached from the account menu, an import shows its progress and its report, an export
is downloaded, and a chat is downloaded from its ⋯ menu."""

from __future__ import annotations

import asyncio
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Page, expect

from ..harness import LiveApp  # noqa: TID252 (shared app test helpers)
from .conftest import Problems, Snap, Viewport, sign_up

pytestmark = pytest.mark.browser


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"data_dir": tmp_path / "data", "max_import_bytes": 1_000_000}


def _conversation(index: int) -> dict[str, Any]:
    t = 1_730_000_000 + index * 60

    def node(key: str, parent: str | None, role: str | None, text: str, dt: int) -> dict[str, Any]:
        message = None
        if role:
            message = {
                "author": {"role": role},
                "create_time": t + dt,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {"model_slug": "gpt-4o"},
            }
        return {"id": key, "parent": parent, "children": [], "message": message}

    return {
        "title": f"Imported chat {index}",
        "create_time": t,
        "update_time": t + 3,
        "conversation_id": f"conv-{index}",
        "current_node": "a2",
        "mapping": {
            "root": node("root", None, None, "", 0),
            "q": node("q", "root", "user", f"Question number {index}?", 1),
            "a1": node("a1", "q", "assistant", "A first answer.", 2),
            "a2": node("a2", "q", "assistant", f"**Answer** number {index}.", 3),
        },
    }


def _export_file(tmp_path: Path) -> Path:
    broken = _conversation(999)
    broken["title"] = "A broken one"
    broken["mapping"]["a2"]["parent"] = "missing-node"
    items = [_conversation(i) for i in range(300)] + [broken]
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps(items))
    return path


async def open_data_page(page: Page, viewport: Viewport) -> None:
    await page.goto("/threads")
    if viewport == "phone":
        await page.locator("#sidebar-open").click()
    await page.locator("#sidebar").get_by_role("link", name="Import & export").click()
    await expect(page).to_have_url(re.compile(r"/settings/data$"))


async def test_import_export_and_download_a_chat(
    page: Page,
    live_app: LiveApp,
    viewport: Viewport,
    snap: Snap,
    problems: Problems,
    tmp_path: Path,
) -> None:
    await sign_up(page)
    await open_data_page(page, viewport)
    await expect(page.get_by_role("heading", name="Import conversations")).to_be_visible()
    await snap("page")

    # Import: progress while it runs, then the report with the conversation that failed.
    await page.locator("#import-form input[type=file]").set_input_files(_export_file(tmp_path))
    await page.locator("#import-form").get_by_role("button", name="Import").click()
    status = page.locator("#import-job .job-status")
    await expect(status).to_contain_text(re.compile(r"Waiting|Working|Done"))
    await page.locator("#import-job").scroll_into_view_if_needed()
    await snap("import-running")
    await expect(status).to_have_text("Done. 301 of 301", timeout=60_000)
    summary = page.locator("#import-job .summary")
    await expect(summary).to_have_text("300 imported, 0 skipped, 1 failed (200 not listed here).")
    failed = page.locator("#import-job tr.failed")
    await expect(failed).to_contain_text("A broken one")
    await expect(failed).to_contain_text("'missing-node', which is not in it")
    await failed.scroll_into_view_if_needed()
    await snap("import-report")

    # Export everything: progress, then the zip.
    await page.locator("#start-export").scroll_into_view_if_needed()
    await page.locator("#start-export").click()
    link = page.locator("#export-job .download")
    await expect(link).to_be_visible(timeout=60_000)
    await expect(page.locator("#export-job .job-status")).to_have_text("Done. 300 of 300")
    await snap("export-done")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    saved = tmp_path / "export.zip"
    await download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        index = json.loads(archive.read("index.json"))
    assert len(index["threads"]) == 300

    # A chat from the report (the imported ones are folded), downloaded from its ⋯ menu.
    await page.locator("#import-job details.imported summary").click()
    await expect(page.locator("#import-job details.imported summary")).to_have_text(
        "The first 100 imported chats"
    )
    await page.locator("#import-job a", has_text="Imported chat 7").first.click()
    await expect(page.locator("#conversation")).to_contain_text("Answer number 7.")
    await page.locator("#thread-menu-button").click()
    await expect(page.get_by_role("menuitem", name="Download as Markdown")).to_be_visible()
    await snap("chat-menu")
    async with page.expect_download() as info:
        await page.get_by_role("menuitem", name="Download as Markdown").click()
    markdown = await info.value
    assert markdown.suggested_filename == "imported-chat-7.md"
    text = await asyncio.to_thread(Path(await markdown.path()).read_text)
    assert text.startswith("# Imported chat 7\n")
    assert "**Answer** number 7." in text
    assert "A first answer." not in text
    assert problems.unexpected() == []


async def test_a_file_we_cannot_read_is_named(
    page: Page, viewport: Viewport, snap: Snap, problems: Problems, tmp_path: Path
) -> None:
    await sign_up(page)
    await open_data_page(page, viewport)
    problems.expect(r"status 422: POST .*/api/v1/imports")
    problems.expect(r"console: Failed to load resource: .* 422 .*/api/v1/imports")
    path = tmp_path / "notes.json"
    path.write_bytes(io.BytesIO(b'[{"hello": "world"}]').getvalue())
    await page.locator("#import-form input[type=file]").set_input_files(path)
    await page.locator("#import-form").get_by_role("button", name="Import").click()
    error = page.locator("#import .error")
    await expect(error).to_contain_text("not an export we can read")
    await snap("unsupported")
    # Over the limit: said before anything is sent.
    big = tmp_path / "big.json"
    big.write_bytes(b"[" + b" " * 1_100_000 + b"]")
    await page.locator("#import-form input[type=file]").set_input_files(big)
    await page.locator("#import-form").get_by_role("button", name="Import").click()
    await expect(error).to_have_text(
        "The file is larger than 977 KB, the most this server imports."
    )
