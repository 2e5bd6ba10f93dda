"""The pages end to end in Chromium, at a phone's size: sign up, chat, reload, stop,
retry, sign out, tokens, the sign-in redirect, the chat menu, /docs.

The browser, the failure checks and the screenshots are the folder's (conftest.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.async_api import ConsoleMessage, Page, Request, Route, expect

from ..harness import PASSWORD, LiveApp  # noqa: TID252 (shared app test helpers)
from ..scripted import echo_reply  # noqa: TID252
from .conftest import Problems, Viewport

pytestmark = pytest.mark.browser


@pytest.fixture
def viewport() -> Viewport:
    """These flows at a phone's size; the chat pages' tests take both."""
    return "phone"


async def sign_up_in_browser(page: Page, email: str = "ada@example.com") -> None:
    await page.goto("/signup")
    await page.get_by_label("Name").fill("Ada")
    await page.get_by_label("Email").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign up").click()
    await expect(page).to_have_url(re.compile(r"/threads$"))


async def start_chat(page: Page, model: str = "echo") -> None:
    """An empty chat with `model`, open (the new-chat page's own flow, where the first
    message creates the chat, is tested in browser/test_chat_ui.py)."""
    csrf = await page.locator('meta[name="csrf-token"]').get_attribute("content")
    response = await page.request.post(
        "/api/v1/threads", data={"model": model}, headers={"X-CSRF-Token": csrf or ""}
    )
    assert response.status == 201, await response.text()
    await page.goto(f"/threads/{(await response.json())['id']}")


async def open_sidebar(page: Page) -> None:
    """On a phone the chat list (with the account's links) is folded behind a button."""
    if await page.locator("#sidebar-open").is_visible():
        await page.locator("#sidebar-open").click()
    await expect(page.locator("#sidebar")).to_be_visible()


async def send(page: Page, text: str) -> None:
    await page.locator("#composer-input").fill(text)
    await page.locator("#composer-input").press("Enter")


def last_reply(page: Page) -> object:
    return page.locator(".message.assistant").last


async def test_sign_up_chat_and_watch_a_reply_stream(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page)
    prompt = "Hello **world** words=40"
    await send(page, prompt)
    reply = page.locator(".message.assistant").last
    # Mid-stream: plain text so far, still writing.
    await expect(reply).to_have_attribute("data-status", "streaming")
    await expect(reply.locator(".body")).to_contain_text("You said")
    # Then the server's rendering: Markdown, model and token usage.
    await expect(reply).to_have_attribute("data-status", "complete")
    await expect(reply.locator(".body strong")).to_have_text("world")
    await expect(reply.locator(".meta .model")).to_have_text("echo-1")
    await expect(reply.locator(".meta .usage")).to_contain_text("tokens in")
    await expect(reply.locator(".body")).to_contain_text("word39")
    assert await page.locator(".message.user .body").inner_text() == prompt
    # The composer is ready again; Shift+Enter makes a new line instead of sending.
    await page.locator("#composer-input").press("Shift+Enter")
    await expect(page.locator(".message.user")).to_have_count(1)
    # The chat is in the list, and search finds it.
    await page.goto("/threads?q=world")
    await expect(page.locator("#thread-list li a.title")).to_have_count(1)


@pytest.mark.parametrize("model_delay", [0.04])
async def test_reload_mid_reply_finishes_it_once(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page)
    prompt = "Keep going words=80"
    await send(page, prompt)
    reply = page.locator(".message.assistant").last
    await expect(reply.locator(".body")).to_contain_text("word3")
    await page.reload()
    reply = page.locator(".message.assistant").last
    await expect(reply).to_have_attribute("data-status", "complete", timeout=20_000)
    await expect(page.locator(".message.assistant")).to_have_count(1)
    text = await reply.locator(".body").inner_text()
    expected = echo_reply(prompt)
    assert text.count("word10 ") == 1
    assert " ".join(text.split()) == " ".join(expected.split())


@pytest.mark.parametrize("model_delay", [0.05])
async def test_stop_a_reply(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page)
    await send(page, "A long one words=200")
    reply = page.locator(".message.assistant").last
    await expect(reply.locator(".body")).to_contain_text("word2")
    await expect(page.locator("#stop")).to_be_visible()
    await page.locator("#stop").click()
    await expect(reply).to_have_attribute("data-status", "cancelled")
    await expect(reply.locator(".meta")).to_contain_text("Stopped")
    await expect(page.locator("#stop")).to_be_hidden()
    assert "word199" not in await reply.locator(".body").inner_text()


async def test_markdown_with_a_script_renders_inert(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page)
    hostile = (
        '**bold** <script>window.pwned = 1</script> <img src=x onerror="window.pwned = 2"> '
        "[link](javascript:window.pwned=3) words=2"
    )
    await send(page, hostile)
    reply = page.locator(".message.assistant").last
    await expect(reply).to_have_attribute("data-status", "complete")
    await expect(reply.locator(".body strong")).to_have_text("bold")
    assert await reply.locator("script, img").count() == 0
    assert await reply.locator("a[href^='javascript']").count() == 0
    await expect(reply.locator(".body")).to_contain_text("<script>window.pwned = 1</script>")
    await page.reload()
    await expect(page.locator(".message.assistant .body strong")).to_have_text("bold")
    assert await page.evaluate("window.pwned") is None


async def test_a_failure_is_readable_and_can_be_retried(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page, model="broken")
    await send(page, "hello")
    reply = page.locator(".message.assistant").last
    await expect(reply).to_have_attribute("data-status", "failed")
    await expect(reply.locator(".failure")).to_be_visible()
    await page.locator("#model-select").select_option("echo")
    await page.wait_for_timeout(300)  # the model change is saved
    await reply.locator("button.retry").click()
    # Retried in place: a second version of the reply, the failed one kept beside it.
    again = page.locator(".message.assistant").last
    await expect(again).to_have_attribute("data-status", "complete")
    await expect(page.locator(".message.assistant")).to_have_count(1)
    await expect(again.locator(".version-count")).to_have_text("2 / 2")


async def test_sign_in_out_and_tokens_page(page: Page, problems: Problems) -> None:
    problems.expect(r"401.*/api/v1/auth/login")  # the wrong password, on purpose
    await sign_up_in_browser(page)
    await open_sidebar(page)
    await page.get_by_role("link", name="Settings").click()
    await expect(page).to_have_url(re.compile(r"/settings$"))
    await page.get_by_label("Token name").fill("laptop")
    await page.get_by_role("button", name="Create token").click()
    await expect(page.locator("#new-token-value")).to_contain_text("pya_")
    await expect(page.locator("#tokens tbody tr")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    await page.get_by_role("button", name="Revoke").click()
    await expect(page.locator("#tokens tbody tr")).to_have_count(0)

    await page.get_by_role("button", name="Sign out").click()
    await expect(page).to_have_url(re.compile(r"/signin$"))
    await page.goto("/threads")
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.get_by_label("Email").fill("ada@example.com")
    await page.get_by_label("Password").fill("wrong password!!")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("form .error")).to_contain_text("Wrong email or password")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(r"/threads$"))


@pytest.mark.parametrize(
    "target", ["/%09/evil.example", "/%0a/evil.example", "/%0d/evil.example", "/%09%5Cevil.example"]
)
async def test_sign_in_never_leaves_the_site(page: Page, live_app: LiveApp, target: str) -> None:
    # Browsers drop tabs and newlines from a URL: `/\t/evil.example` would be
    # `//evil.example`. Whatever the browser makes of `next`, it stays on this origin.
    left: list[str] = []

    async def record_and_refuse(route: Route) -> None:
        left.append(route.request.url)
        await route.fulfill(status=200, body="left the site")

    await page.context.route(re.compile(r"^https?://evil\.example"), record_and_refuse)
    account = {"email": "ada@example.com", "password": PASSWORD, "display_name": "Ada"}
    assert (await page.request.post("/api/v1/auth/register", data=account)).status == 201
    await page.goto(f"/signin?next={target}")
    await page.get_by_label("Email").fill("ada@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(f"{live_app.base_url}/threads")
    assert left == []


async def test_rename_archive_restore_and_delete_chats(page: Page) -> None:
    await sign_up_in_browser(page)
    await start_chat(page)
    menu = page.locator("#thread-menu-button")
    page.once("dialog", lambda dialog: dialog.accept("Trip to Porto"))
    await menu.click()
    await page.get_by_role("menuitem", name="Rename").click()
    await expect(page.locator("#thread-title")).to_have_text("Trip to Porto")
    await expect(page.locator("#threads-active .chat-link")).to_have_text("Trip to Porto")

    await menu.click()
    await page.get_by_role("menuitem", name="Archive").click()
    await expect(page.locator("#composer-input")).to_be_disabled()
    await page.goto("/threads")
    await open_sidebar(page)
    await expect(page.locator("#no-chats")).to_contain_text("No chats yet")
    await page.locator("details.archived summary").click()
    await page.locator("details.archived").get_by_role("link", name="Trip to Porto").click()
    await menu.click()
    await page.get_by_role("menuitem", name="Restore").click()
    await expect(page.locator("#composer-input")).to_be_enabled()
    await expect(page.locator("details.archived")).to_have_count(0)

    page.once("dialog", lambda dialog: dialog.accept())
    await menu.click()
    await page.get_by_role("menuitem", name="Delete").click()
    await expect(page).to_have_url(re.compile(r"/threads$"))
    await open_sidebar(page)
    await expect(page.locator("#no-chats")).to_contain_text("No chats yet")


async def test_api_docs_render_offline_under_the_csp(page: Page) -> None:
    """Swagger UI comes from the app itself: no request leaves for another host, and
    the page runs under the CSP without a violation."""
    violations: list[str] = []
    external: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            violations.append(message.text)

    def on_request(request: Request) -> None:
        if urlsplit(request.url).hostname not in {"127.0.0.1", "localhost"}:
            external.append(request.url)

    page.on("console", on_console)
    page.on("request", on_request)
    await page.goto("/docs")
    await page.locator(".opblock").first.wait_for()
    assert await page.locator(".opblock").count() > 10
    assert await page.get_by_text("/api/v1/threads/{thread_id}/events").count() >= 1
    assert violations == []
    assert external == []
