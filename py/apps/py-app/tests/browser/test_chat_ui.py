"""The chat pages as a person uses them, at a desktop and a phone size: the sidebar,
the composer, Markdown while a reply streams, code, math, theme, scrolling, keys.

Every test also fails on a console error or a failed request (see conftest.py) and
leaves screenshots of what it checked.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Locator, Page, Route, expect

from py_core.ai_ml import ModelCatalog

from ..harness import PASSWORD  # noqa: TID252 (shared app test helpers)
from .conftest import Problems, Snap, Viewport, sign_up

pytestmark = pytest.mark.browser

MARKDOWN_PROMPT = (
    "Here is a sample.\n\n"
    "## Plan\n\n"
    "- [x] write the **code**\n"
    "- [ ] test it\n\n"
    "| step | cost |\n|---|---|\n| one | $x^2$ |\n\n"
    "```python\ndef area(r):\n    return 3.14 * r ** 2\n```\n\n"
    "$$\\frac{a}{b} = \\sqrt{c}$$\n\n"
    "words=60"
)


async def call(page: Page, csrf: str, method: str, path: str, **body: Any) -> Any:
    """A JSON API call from the page's browser session."""
    response = await page.request.fetch(
        path,
        method=method,
        headers={"X-CSRF-Token": csrf},
        data=body if body else None,
    )
    assert response.ok, await response.text()
    return await response.json() if response.status != 204 else None


async def open_sidebar(page: Page, viewport: Viewport) -> Locator:
    """The chat list, unfolded first on a phone."""
    sidebar = page.locator("#sidebar")
    if viewport == "phone":
        await expect(sidebar).to_be_hidden()
        await page.locator("#sidebar-open").click()
    await expect(sidebar).to_be_visible()
    return sidebar


async def start_chat(page: Page, text: str, model: str = "echo") -> None:
    """From the new-chat page: pick the model, write the first message, land in the chat."""
    await page.goto("/threads")
    await page.locator("#new-thread-model").select_option(model)
    await page.locator("#composer-input").fill(text)
    await page.locator("#composer-input").press("Enter")
    await expect(page).to_have_url(re.compile(r"/threads/[0-9a-f-]{36}$"))


def last_reply(page: Page) -> Locator:
    return page.locator(".message.assistant").last


@pytest.mark.parametrize("catalog", [ModelCatalog.demo(delay=0.002)])
async def test_the_composer_starts_empty_and_is_disabled_on_an_archived_chat(
    page: Page, viewport: Viewport, snap: Snap
) -> None:
    await sign_up(page)
    await page.goto("/threads")
    await expect(page.locator("#demo-notice")).to_be_visible()
    await expect(page.locator("#composer-input")).to_have_value("")
    await expect(page.locator("#composer-input")).to_be_enabled()
    await snap("new-chat")

    await start_chat(page, "What can this app show?", model="demo")
    composer = page.locator("#composer-input")
    await expect(composer).to_have_value("")
    await expect(composer).to_be_enabled()
    reply = last_reply(page)
    await expect(reply).to_have_attribute("data-status", "complete")
    # The demo shows off what the page renders, and says what it is.
    await expect(reply.locator(".body")).to_contain_text("offline demo model")
    await expect(reply.locator(".body table")).to_be_visible()
    await expect(reply.locator(".body .codeblock").first).to_be_visible()
    await expect(reply.locator(".body math").first).to_be_attached()
    await expect(reply.locator(".meta .model")).to_have_text("offline-demo")
    await expect(composer).to_be_enabled()
    await reply.locator(".body h3").first.scroll_into_view_if_needed()
    await snap("demo-reply")

    await page.locator("#thread-menu-button").click()
    await page.get_by_role("menuitem", name="Archive").click()
    await expect(page.locator("#composer-reason")).to_contain_text("archived")
    await expect(composer).to_be_disabled()
    await expect(composer).to_have_value("")
    await expect(page.locator("#send")).to_be_disabled()
    sidebar = await open_sidebar(page, viewport)
    await expect(sidebar.locator("details.archived .chat-link")).to_have_count(1)
    await snap("archived")
    if viewport == "phone":
        await page.locator("#sidebar-close").click()
    await page.locator("#restore-inline").click()
    await expect(composer).to_be_enabled()


async def test_the_sidebar_lists_switches_and_follows_titles(
    page: Page, viewport: Viewport, snap: Snap
) -> None:
    csrf = await sign_up(page)
    titles = ["Trip to Porto", "Sourdough starter", "Tax return questions"]
    threads = [await call(page, csrf, "POST", "/api/v1/threads", title=t) for t in titles]
    archived = await call(page, csrf, "POST", "/api/v1/threads", title="Old project")
    await call(page, csrf, "PATCH", f"/api/v1/threads/{archived['id']}", archived=True)

    await page.goto(f"/threads/{threads[0]['id']}")
    await expect(page).to_have_title("Trip to Porto · py-app")
    sidebar = await open_sidebar(page, viewport)
    # Newest activity first, the archived chat at the end.
    await expect(sidebar.locator("#threads-active .chat-link")).to_have_text(titles[::-1])
    await expect(sidebar.locator("details.archived summary")).to_contain_text("Archived")
    current = sidebar.locator('.chat-link[aria-current="page"]')
    await expect(current).to_have_text("Trip to Porto")
    await snap("open")

    await sidebar.get_by_role("link", name="Sourdough starter").click()
    await expect(page).to_have_title("Sourdough starter · py-app")
    await expect(page.locator("#thread-title")).to_have_text("Sourdough starter")
    if viewport == "phone":
        await expect(page.locator("#sidebar")).to_be_hidden()  # folded again after the switch
    sidebar = await open_sidebar(page, viewport)
    await expect(sidebar.locator('.chat-link[aria-current="page"]')).to_have_text(
        "Sourdough starter"
    )

    # Search from the sidebar: the list narrows as you type.
    await page.locator("#search").fill("porto")
    await expect(sidebar.locator("#search-list .chat-link")).to_have_text(["Trip to Porto"])
    await snap("search")
    await page.locator("#search").fill("")
    await expect(sidebar.locator("#threads-active")).to_be_visible()

    # A chat whose title the model writes: the sidebar follows without a reload.
    await sidebar.get_by_role("link", name="New chat").click()
    await expect(page).to_have_url(re.compile(r"/threads$"))
    await page.locator("#composer-input").fill("Name this chat words=3")
    await page.locator("#composer-input").press("Enter")
    await expect(page).to_have_url(re.compile(r"/threads/[0-9a-f-]{36}$"))
    await expect(page.locator("#thread-title")).to_have_text("Echo chat")
    await expect(page).to_have_title("Echo chat · py-app")
    sidebar = await open_sidebar(page, viewport)
    await expect(sidebar.locator("#threads-active .chat-link").first).to_have_text("Echo chat")
    await expect(sidebar.locator('.chat-link[aria-current="page"]')).to_have_text("Echo chat")
    await snap("titled")


async def test_each_chat_in_the_sidebar_has_its_actions(
    page: Page, viewport: Viewport, snap: Snap
) -> None:
    csrf = await sign_up(page)
    titles = ["Trip to Porto", "Sourdough starter", "Tax return questions"]
    threads = [await call(page, csrf, "POST", "/api/v1/threads", title=t) for t in titles]
    await page.goto(f"/threads/{threads[0]['id']}")
    sidebar = await open_sidebar(page, viewport)
    menu = page.get_by_role("menu", name="Chat actions")

    page.once("dialog", lambda dialog: dialog.accept("Taxes 2026"))
    await sidebar.get_by_role("button", name="Actions for Tax return questions").click()
    await expect(menu).to_be_visible()
    await expect(menu.get_by_role("menuitem", name="Restore")).to_be_hidden()
    await snap("menu")
    await menu.get_by_role("menuitem", name="Rename").click()
    await expect(sidebar.locator("#threads-active .chat-link").first).to_have_text("Taxes 2026")
    await expect(menu).to_be_hidden()

    page.once("dialog", lambda dialog: dialog.accept())
    await sidebar.get_by_role("button", name="Actions for Sourdough starter").click()
    await menu.get_by_role("menuitem", name="Delete").click()
    await expect(sidebar.locator("#threads-active .chat-link")).to_have_text(
        ["Taxes 2026", "Trip to Porto"]
    )

    await sidebar.get_by_role("button", name="Actions for Taxes 2026").click()
    await menu.get_by_role("menuitem", name="Archive").click()
    sidebar = await open_sidebar(page, viewport)  # the page reloads with the lists
    await expect(sidebar.locator("#threads-active .chat-link")).to_have_text(["Trip to Porto"])
    await expect(sidebar.locator("#threads-archived .chat-link")).to_have_text(["Taxes 2026"])
    await sidebar.locator("details.archived summary").click()
    await sidebar.get_by_role("button", name="Actions for Taxes 2026").click()
    await menu.get_by_role("menuitem", name="Restore").click()
    sidebar = await open_sidebar(page, viewport)
    await expect(sidebar.locator("#threads-active .chat-link")).to_have_text(
        ["Taxes 2026", "Trip to Porto"]
    )


@pytest.mark.parametrize("model_delay", [0.03])
async def test_a_reply_is_formatted_while_it_streams_and_ends_as_stored(
    page: Page, snap: Snap
) -> None:
    await sign_up(page)
    await start_chat(page, MARKDOWN_PROMPT)
    reply = last_reply(page)
    # Formatted before it ends: the heading, the table and the code while still writing.
    await expect(reply.locator(".body .codeblock")).to_be_visible()
    await expect(reply.locator(".body h2")).to_have_text("Plan")
    await expect(reply.locator(".body table")).to_be_visible()
    assert await reply.get_attribute("data-status") == "streaming"
    assert await reply.get_attribute("aria-busy") == "true"  # read aloud once, at the end
    await expect(page.locator("#stop")).to_be_visible()
    await expect(page.locator("#composer-hint")).to_contain_text("being written")
    await snap("streaming")

    await expect(reply).to_have_attribute("data-status", "complete", timeout=20_000)
    await expect(reply.locator(".body")).to_contain_text("word59")
    await expect(page.locator("#stop")).to_be_hidden()
    assert await reply.get_attribute("aria-busy") is None
    live = await reply.locator(".body").inner_html()
    await snap("complete")
    await page.reload()
    stored = await last_reply(page).locator(".body").inner_html()
    assert live == stored


async def test_code_is_highlighted_and_copied_and_math_is_mathml(
    page: Page, context: BrowserContext, live_app: Any, snap: Snap
) -> None:
    await context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_app.base_url)
    await sign_up(page)
    await start_chat(page, MARKDOWN_PROMPT)
    reply = last_reply(page)
    await expect(reply).to_have_attribute("data-status", "complete")
    block = reply.locator(".codeblock")
    await expect(block.locator(".code-lang")).to_have_text("python")
    # Pygments' token classes, coloured by the generated stylesheet.
    keyword = block.locator("code span.k").first
    await expect(keyword).to_have_text("def")
    plain = await block.locator("code span.n").first.evaluate("e => getComputedStyle(e).color")
    assert await keyword.evaluate("e => getComputedStyle(e).color") != plain
    await block.get_by_role("button", name="Copy code").click()
    await expect(block.get_by_role("button", name="Copied")).to_be_visible()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied == "def area(r):\n    return 3.14 * r ** 2\n"

    # Math as MathML, drawn by the browser: a fraction and a root, inline and displayed.
    await expect(reply.locator(".math.block math[display=block] mfrac")).to_be_attached()
    await expect(reply.locator(".math.block math msqrt")).to_be_attached()
    await expect(reply.locator("td .math.inline math msup")).to_be_attached()
    box = await reply.locator(".math.block math").bounding_box()
    assert box is not None
    assert box["height"] > 20  # laid out as a formula, not a line of text
    # Task lists are disabled checkboxes.
    boxes = reply.locator("li.task-list-item input[type=checkbox]")
    await expect(boxes).to_have_count(2)
    await expect(boxes.first).to_be_checked()
    await expect(boxes.first).to_be_disabled()

    # Copy on a message copies what was written (the Markdown), not the rendering.
    await reply.get_by_role("button", name="Copy reply").click()
    copied = await page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("You said: Here is a sample.\n\n## Plan")
    await block.scroll_into_view_if_needed()
    await snap("code-and-math")


async def _background(page: Page) -> str:
    color: str = await page.evaluate("getComputedStyle(document.body).backgroundColor")
    return color


async def test_dark_mode_follows_the_system_and_the_switch(
    page: Page, viewport: Viewport, snap: Snap
) -> None:
    dark, light = "rgb(33, 33, 33)", "rgb(255, 255, 255)"
    await sign_up(page)
    await page.emulate_media(color_scheme="dark")
    await start_chat(page, MARKDOWN_PROMPT.replace("words=60", "words=5"))
    await expect(last_reply(page)).to_have_attribute("data-status", "complete")
    assert await _background(page) == dark
    code_dark = await page.locator("code span.k").first.evaluate("e => getComputedStyle(e).color")
    await snap("system-dark")

    sidebar = await open_sidebar(page, viewport)
    await sidebar.locator(".theme-select").select_option("light")
    assert await _background(page) == light
    assert (
        await page.locator("code span.k").first.evaluate("e => getComputedStyle(e).color")
        != code_dark
    )
    await page.reload()  # remembered by this browser
    assert await _background(page) == light
    await snap("switched-light")

    sidebar = await open_sidebar(page, viewport)
    await expect(sidebar.locator(".theme-select")).to_have_value("light")
    await sidebar.locator(".theme-select").select_option("system")
    assert await _background(page) == dark
    await page.emulate_media(color_scheme="light")
    assert await _background(page) == light
    await sidebar.locator(".theme-select").select_option("dark")
    await page.goto("/threads")
    assert await _background(page) == dark
    await snap("new-chat-dark")


async def _scroll_state(page: Page) -> dict[str, float]:
    state: dict[str, float] = await page.locator("#conversation").evaluate(
        "e => ({top: e.scrollTop, gap: e.scrollHeight - e.scrollTop - e.clientHeight})"
    )
    return state


@pytest.mark.parametrize("model_delay", [0.01])
async def test_the_page_follows_a_reply_until_the_reader_scrolls_up(page: Page, snap: Snap) -> None:
    await sign_up(page)
    await start_chat(page, "A long answer please " + "\n\n".join(["para"] * 10) + " words=900")
    reply = last_reply(page)
    await expect(reply.locator(".body")).to_contain_text("word150")
    assert (await _scroll_state(page))["gap"] < 60  # following the end

    await page.locator("#conversation").hover()
    await page.mouse.wheel(0, -600)
    await expect(page.locator("#jump")).to_be_visible()
    held = (await _scroll_state(page))["top"]
    await expect(reply.locator(".body")).to_contain_text("word400")
    assert abs((await _scroll_state(page))["top"] - held) < 5  # stays where the reader is
    await snap("scrolled-up")

    await page.locator("#jump").click()
    await expect(page.locator("#jump")).to_be_hidden()
    await expect(reply.locator(".body")).to_contain_text("word600")
    assert (await _scroll_state(page))["gap"] < 60  # following again

    # Escape stops the reply.
    await page.keyboard.press("Escape")
    await expect(reply).to_have_attribute("data-status", "cancelled")
    await expect(page.locator("#send")).to_be_visible()
    await snap("stopped")


@pytest.mark.parametrize("viewport", ["desktop"])
async def test_keyboard_shortcuts(page: Page, snap: Snap) -> None:
    await sign_up(page)
    await start_chat(page, "Hello words=3")
    await expect(last_reply(page)).to_have_attribute("data-status", "complete")
    await page.locator("body").click()
    await page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    await expect(dialog).to_be_visible()
    await expect(dialog).to_contain_text("New chat")
    await snap("help")
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    await page.keyboard.press("Control+k")
    await expect(page.locator("#search")).to_be_focused()
    await page.keyboard.press("Shift+Escape")
    await expect(page.locator("#composer-input")).to_be_focused()
    composer = page.locator("#composer-input")
    await composer.fill("line one")
    await page.keyboard.press("Shift+Enter")
    await expect(composer).to_have_value("line one\n")
    # The box grows with its text, up to a limit, then scrolls.
    one_line = await composer.evaluate("e => e.offsetHeight")
    await composer.fill("\n".join(["a line"] * 4))
    four_lines = await composer.evaluate("e => e.offsetHeight")
    await composer.fill("\n".join(["a line"] * 40))
    many_lines = await composer.evaluate("e => e.offsetHeight")
    assert one_line < four_lines < many_lines <= 200
    await page.locator("#composer-input").fill("")
    await page.locator("body").click()
    await page.keyboard.press("/")
    await expect(page.locator("#composer-input")).to_be_focused()
    await page.keyboard.press("Control+Shift+O")
    await expect(page).to_have_url(re.compile(r"/threads$"))


@pytest.mark.parametrize("catalog", [ModelCatalog.demo(delay=0.002)])
@pytest.mark.parametrize("viewport", ["phone"])
async def test_sign_in_and_sign_up_pages(page: Page, snap: Snap) -> None:
    await page.goto("/signup")
    await snap("signup")
    await page.goto("/threads")
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    response = await page.request.get("/favicon.ico")
    assert response.status == 200
    assert response.headers["content-type"] == "image/x-icon"
    await snap("signin")


@pytest.mark.parametrize("viewport", ["desktop"])
async def test_a_lost_connection_is_shown_and_resumed(page: Page, snap: Snap) -> None:
    await sign_up(page)
    await start_chat(page, "Before words=3")
    await expect(last_reply(page)).to_have_attribute("data-status", "complete")
    # The next event stream the page opens ends at once, as when a proxy or the network
    # drops it; the ones after reach the app again.
    dropped: list[str] = []

    async def drop_once(route: Route) -> None:
        if dropped:
            await route.fallback()
            return
        dropped.append(route.request.url)
        await route.fulfill(
            status=200, headers={"Content-Type": "text/event-stream"}, body="retry: 1500\n\n"
        )

    await page.route(re.compile(r"/events(\?.*)?$"), drop_once)
    await page.reload()
    await expect(page.locator("#connection")).to_have_text("Connection lost. Reconnecting…")
    await snap("reconnecting")
    await expect(page.locator("#connection")).to_be_hidden(timeout=10_000)
    assert len(dropped) == 1
    await page.locator("#composer-input").fill("After words=3")
    await page.locator("#composer-input").press("Enter")
    await expect(page.locator(".message.assistant")).to_have_count(2)
    await expect(last_reply(page)).to_have_attribute("data-status", "complete")
    await expect(last_reply(page).locator(".body")).to_contain_text("You said: After")


@pytest.mark.parametrize("viewport", ["desktop"])
async def test_signed_out_elsewhere_goes_to_sign_in_and_back(
    page: Page, problems: Problems
) -> None:
    problems.expect(r"status 401")  # the refused post is what sends the page to sign-in
    problems.expect(r"status of 401")
    csrf = await sign_up(page)
    await start_chat(page, "Hello words=3")
    await expect(last_reply(page)).to_have_attribute("data-status", "complete")
    chat_path = "/" + page.url.split("/", 3)[3]
    await call(page, csrf, "POST", "/api/v1/auth/logout")  # another tab signs out
    await page.locator("#composer-input").fill("Still there?")
    await page.locator("#composer-input").press("Enter")
    await expect(page).to_have_url(re.compile(r"/signin\?next="))
    await page.get_by_label("Email").fill("ada@example.com")
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page).to_have_url(re.compile(re.escape(chat_path) + "$"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
async def test_every_page_loads_cleanly(
    page: Page, problems: Problems, scheme: str, snap: Snap
) -> None:
    """No console error and no failed request on any page, in either theme."""
    await page.emulate_media(color_scheme="dark" if scheme == "dark" else "light")
    for path in ("/signup", "/signin"):
        await page.goto(path)
        await expect(page.locator("h1")).to_be_visible()
    await snap("signin")
    csrf = await sign_up(page)
    thread = await call(page, csrf, "POST", "/api/v1/threads", title="Packing list")
    await call(page, csrf, "POST", f"/api/v1/threads/{thread['id']}/messages", content="Hi words=2")
    old = await call(page, csrf, "POST", "/api/v1/threads", title="Old plans")
    await call(page, csrf, "PATCH", f"/api/v1/threads/{old['id']}", archived=True)
    pages = [
        ("/threads", "New chat", "new-chat"),
        (f"/threads/{thread['id']}", "Packing list", "chat"),
        ("/threads?q=packing", "Search", "search"),
        ("/threads?archived=true", "Archived chats", "archive"),
        ("/settings/tokens", "API tokens", "tokens"),
    ]
    for path, title, name in pages:
        await page.goto(path)
        await expect(page).to_have_title(f"{title} · py-app")
        if name == "search":  # the sidebar searches too (leaving earlier would cut it off)
            await expect(page.locator("#search-list .chat-link")).to_have_text(["Packing list"])
        await snap(name)
        if name == "archive":
            await expect(page.locator("#thread-list .title")).to_have_text(["Old plans"])
    problems.expect(r"status 404: GET .*/no/such/page")
    problems.expect(r"status of 404 .*/no/such/page")
    await page.goto("/no/such/page")
    await expect(page.locator("h1")).to_have_text("Not found")
    await snap("not-found")
