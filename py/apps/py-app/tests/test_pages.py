"""Pages without a browser: redirects, ownership, error pages, safe Markdown."""

from __future__ import annotations

import httpx

from py_app.pages.markdown import render_markdown

from .harness import LiveApp, new_thread, post, sign_up, wait_for_reply


async def test_pages_need_a_session(live_app: LiveApp) -> None:
    async with live_app.client() as anonymous:
        response = await anonymous.get("/threads")
        assert response.status_code == 303
        assert response.headers["location"] == "/signin?next=%2Fthreads"
        assert (await anonymous.get("/")).headers["location"] == "/signin"
        assert (await anonymous.get("/settings/tokens")).status_code == 303
        for target in (
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            # Browsers drop tabs and newlines: each of these reads as `//evil.example`.
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r/evil.example",
            "/\t\\evil.example",
            "/ok/\x7f",
        ):
            signin = await anonymous.get("/signin", params={"next": target})
            assert signin.status_code == 200
            assert 'data-next="/threads"' in signin.text
        signin = await anonymous.get("/signin", params={"next": "/threads/abc"})
        assert 'data-next="/threads/abc"' in signin.text
        assert "<script>" not in signin.text  # scripts come from /static only


async def test_chat_page_and_fragment_belong_to_their_owner(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client, title="Ada's <b>plans</b>")
    turn = await post(client, thread["id"], "**hi** <script>alert(1)</script> words=1")
    reply_id = turn["assistant_message"]["id"]
    await wait_for_reply(client, thread["id"], reply_id)

    page = await client.get(f"/threads/{thread['id']}")
    assert page.status_code == 200
    assert "Ada&#39;s &lt;b&gt;plans&lt;/b&gt;" in page.text
    assert "<script>alert" not in page.text
    assert 'name="csrf-token"' in page.text
    fragment = await client.get(f"/threads/{thread['id']}/messages/{reply_id}")
    assert fragment.status_code == 200
    assert "<strong>hi</strong>" in fragment.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in fragment.text
    assert "echo-1" in fragment.text

    listing = await client.get("/threads")
    assert thread["id"] in listing.text

    await sign_up(other_client, "eve@example.com")
    for url in (f"/threads/{thread['id']}", f"/threads/{thread['id']}/messages/{reply_id}"):
        response = await other_client.get(url, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert "text/html" in response.headers["content-type"]
        assert "plans" not in response.text
    assert thread["id"] not in (await other_client.get("/threads")).text


async def test_unknown_pages_are_html_404s_and_api_404s_json(client: httpx.AsyncClient) -> None:
    page = await client.get("/no/such/page", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text
    api = await client.get("/api/v1/no/such", headers={"Accept": "text/html"})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "not_found"


def test_markdown_is_rendered_and_sanitised() -> None:
    html = str(
        render_markdown(
            "# Title\n\n**b** `x<y`\n\n```py\nprint('<b>')\n```\n\n"
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n"
            "[bad](javascript:alert(1)) [good](https://example.com)"
        )
    )
    assert "<h1>Title</h1>" in html
    assert "<strong>b</strong>" in html
    assert "<code>x&lt;y</code>" in html
    assert '<pre><code class="language-py">' in html
    assert "<script" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html
    assert 'href="https://example.com" rel="noopener noreferrer nofollow"' in html
