"""Markdown to safe HTML, for messages: stored ones, and a reply's text while it streams.

markdown-it-py with raw HTML off turns `<script>` in a message into text. On top of
CommonMark: tables, strikethrough, task lists, code blocks highlighted by Pygments (by
the fence's language, as class names that `code_css` colours) and `$...$` / `$$...$$`
math as MathML (latex2mathml; browsers draw it, no script). nh3 (the ammonia sanitiser)
then keeps only an allow-list of tags and attributes of the whole result, MathML
included, so even a bug in a renderer (latex2mathml copies `\\text{<b>}` through as a
tag) cannot put script, styles or event handlers on the page.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import nh3
from latex2mathml.converter import convert as latex_to_mathml
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from markupsafe import Markup
from mdit_py_plugins.dollarmath import dollarmath_plugin
from mdit_py_plugins.tasklists import tasklists_plugin
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

# Past this size a code block is shown unhighlighted: Pygments is linear but not fast,
# and a streaming reply is rendered again every few hundred milliseconds.
MAX_HIGHLIGHTED_CHARS = 50_000
LIGHT_CODE_STYLE = "default"
DARK_CODE_STYLE = "github-dark"

_formatter = HtmlFormatter(nowrap=True)

_MATHML_TAGS = {
    "math", "semantics", "annotation", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace",
    "msup", "msub", "msubsup", "mfrac", "msqrt", "mroot", "mstyle", "mpadded", "mphantom",
    "menclose", "mover", "munder", "munderover", "mtable", "mtr", "mtd", "merror",
    "mmultiscripts", "mprescripts", "none",
}  # fmt: skip
_MATHML_ATTRIBUTES = {
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace",
    "columnalign", "columnspacing", "rowspacing", "displaystyle", "scriptlevel", "accent",
    "accentunder", "movablelimits", "minsize", "maxsize", "width", "height", "depth",
    "linethickness", "notation", "form", "symmetric", "largeop", "columnlines",
    "rowlines", "frame", "mathcolor", "mathbackground", "encoding",
}  # fmt: skip

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "ul", "ol", "li", "strong", "em", "del", "s", "code", "pre", "a",
    "table", "thead", "tbody", "tr", "th", "td", "div", "span", "input",
} | _MATHML_TAGS  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "code": {"class"},
    "ol": {"start"},
    "ul": {"class"},
    "li": {"class"},
    "div": {"class"},
    "span": {"class"},
    "input": {"class", "checked", "disabled"},
    "math": {"xmlns"} | _MATHML_ATTRIBUTES,
    **dict.fromkeys(_MATHML_TAGS - {"math"}, _MATHML_ATTRIBUTES),
}
# A task list's box: an input may only ever be a checkbox. (Not forced with
# `set_tag_attribute_values`: ammonia adds forced attributes in no fixed order, and the
# HTML of a message must be the same on every rendering.)
_ATTRIBUTE_VALUES = {"input": {"type": {"checkbox"}}}


@lru_cache(maxsize=64)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


@lru_cache(maxsize=512)
def highlight_code(code: str, language: str) -> str:
    """`code` as HTML: Pygments' token spans when the language is known, else escaped."""
    lexer = _lexer(language.lower()) if language else None
    if lexer is None or len(code) > MAX_HIGHLIGHTED_CHARS:
        return escapeHtml(code)
    return highlight(code, lexer, _formatter)


def _code_block(code: str, language: str) -> str:
    label = escapeHtml(language) if language else "text"
    css_class = f' class="language-{escapeHtml(language)}"' if language else ""
    return (
        f'<div class="codeblock"><div class="code-head"><span class="code-lang">{label}</span>'
        f"</div><pre><code{css_class}>{highlight_code(code, language)}</code></pre></div>\n"
    )


def _fence(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    words = token.info.strip().split(maxsplit=1)
    return _code_block(token.content, words[0] if words else "")


def _indented_code(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return _code_block(tokens[idx].content, "")


def _math(latex: str, options: dict[str, Any]) -> str:
    display = "block" if options.get("display_mode") else "inline"
    try:
        return latex_to_mathml(latex.strip(), display=display)
    except Exception:
        return f'<code class="math-source">{escapeHtml(latex)}</code>'


def _display_math_in_text(
    renderer: RendererHTML, tokens: list[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    # `$$...$$` inside a paragraph: the plugin would write a <div> there, which a browser
    # takes as the end of the paragraph. A span, laid out as a block by the stylesheet.
    return f'<span class="math display">{_math(tokens[idx].content, {"display_mode": True})}</span>'


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
        ["table", "strikethrough"]
    )
    md.use(tasklists_plugin)
    # No digits right after an opening `$` and no space inside: "$5 and $10" stays money.
    md.use(
        dollarmath_plugin,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        double_inline=True,
        renderer=_math,
    )
    md.add_render_rule("fence", _fence)
    md.add_render_rule("code_block", _indented_code)
    md.add_render_rule("math_inline_double", _display_math_in_text)
    return md


_renderer = _build()


def render_markdown(text: str) -> Markup:
    html = _renderer.render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(clean)


def _token_rules(style: str, scope: str) -> list[str]:
    # Only the token colours: `get_style_defs` would add unscoped rules for `pre` and
    # line numbers, and a background the page's own palette sets.
    rules: list[str] = HtmlFormatter(style=style).get_token_style_defs(scope)  # type: ignore[no-untyped-call]
    return rules


@lru_cache(maxsize=1)
def code_css() -> str:
    """The colours of highlighted code: Pygments' light style, and its dark style for
    the dark theme (chosen by the system, or by the page's switch)."""
    scope = ".codeblock pre"
    return "\n".join(
        [
            "/* Generated by py_app.pages.markdown from Pygments styles. */",
            *_token_rules(LIGHT_CODE_STYLE, scope),
            *_token_rules(DARK_CODE_STYLE, ":root[data-theme=dark] " + scope),
            "@media (prefers-color-scheme: dark) {",
            *_token_rules(DARK_CODE_STYLE, ":root:not([data-theme=light]) " + scope),
            "}",
        ]
    )
