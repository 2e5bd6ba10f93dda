"""Thread titles: the prompt that asks a model for one, and the cleaning of its answer."""

from __future__ import annotations

import re

MAX_TITLE_CHARS = 60
DEFAULT_TITLE = "New chat"

TITLE_INSTRUCTIONS = (
    "You name chat threads. Reply with a title of at most six words for the conversation "
    "you are given: the title only, without quotes and without a final full stop."
)


def title_prompt(user_text: str, reply_text: str) -> str:
    """The conversation as the title model reads it, trimmed: a title needs the gist only."""
    return f"User: {user_text[:2000]}\n\nAssistant: {reply_text[:2000]}"


def clean_title(raw: str) -> str | None:
    """A usable title from a model's answer, or None when it gave nothing usable."""
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    if not lines:
        return None
    title = re.sub(r"^(title|titre)\s*:\s*", "", lines[0], flags=re.IGNORECASE)
    title = title.strip("\"'`*#_ ").rstrip(".!:;, ")
    title = re.sub(r"\s+", " ", title)
    return _shorten(title) or None


def fallback_title(user_text: str) -> str:
    """The title used when no model could name the thread: the start of the first message."""
    words = user_text.split()
    if not words:
        return DEFAULT_TITLE
    return _shorten(" ".join(words[:8]) + ("..." if len(words) > 8 else ""))


def _shorten(title: str) -> str:
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0]
    return cut.rstrip(".,;: ") + "..."
