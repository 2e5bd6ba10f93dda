"""What the pages load besides templates: the favicon, the code colours, and the
rendering of a streaming reply's Markdown (signed in, CSRF header, as the API)."""

from __future__ import annotations

import httpx

from py_app.pages.markdown import render_markdown

from .harness import LiveApp, sign_up


async def test_the_favicon_and_the_code_colours_are_served(live_app: LiveApp) -> None:
    async with live_app.client() as anonymous:
        icon = await anonymous.get("/favicon.ico")
        assert icon.status_code == 200
        assert icon.headers["content-type"] == "image/x-icon"
        assert icon.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
        css = await anonymous.get("/assets/code.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert "public" in css.headers["cache-control"]
    # Token colours for the light theme, the dark switch and the system's dark mode.
    assert ".codeblock pre .k {" in css.text
    assert ":root[data-theme=dark] .codeblock pre .k {" in css.text
    assert ":root:not([data-theme=light]) .codeblock pre .k {" in css.text


async def test_a_reply_so_far_is_rendered_as_a_stored_message(
    client: httpx.AsyncClient, live_app: LiveApp
) -> None:
    text = "# Plan\n\n```python\nx = 1\n```\n\n$a^2$ <script>alert(1)</script>\n\n```js\nunfinished"
    async with live_app.client() as anonymous:
        response = await anonymous.post("/render/markdown", json={"text": text})
        assert response.status_code == 401
    account = await sign_up(client, "ada@example.com")
    response = await client.post("/render/markdown", json={"text": text})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.text == str(render_markdown(text))
    assert '<span class="k">' not in response.text  # python's `x = 1` has no keyword
    assert '<span class="n">x</span>' in response.text
    assert "<msup>" in response.text
    assert "<script" not in response.text
    # A fence still open (the reply has not closed it yet) is a code block so far.
    assert '<code class="language-js"><span class="nx">unfinished</span>' in response.text

    del client.headers["X-CSRF-Token"]
    refused = await client.post("/render/markdown", json={"text": text})
    assert refused.status_code == 403
    client.headers["X-CSRF-Token"] = account.csrf_token
    for bad in ({}, {"text": 5}, {"text": "x", "extra": 1}):
        assert (await client.post("/render/markdown", json=bad)).status_code == 422
    assert (await client.post("/render/markdown", content=b"{nope")).status_code in (400, 422)


def test_math_code_and_task_lists_render_safely() -> None:
    html = str(
        render_markdown(
            "- [x] done\n- [ ] todo\n\n"
            "A $\\text{<img/src=x/onerror=alert(1)>}$ and $$\\frac{1}{2}$$ costs $5 and $10\n\n"
            "```nosuchlanguage\n<b>as text</b>\n```"
        )
    )
    assert html.count('type="checkbox"') == 2
    assert 'checked="checked"' in html
    assert "<img" not in html  # latex2mathml copies \\text through; nh3 removes the tag
    assert "onerror" not in html
    # `$$...$$` inside a paragraph: displayed, in a span (a div would end the paragraph).
    assert '<span class="math display"><math' in html
    assert 'display="block"><mrow><mfrac>' in html
    assert "costs $5 and $10" in html  # money is not math
    assert "&lt;b&gt;as text&lt;/b&gt;" in html
    assert '<span class="code-lang">nosuchlanguage</span>' in html
