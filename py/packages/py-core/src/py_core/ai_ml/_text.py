"""Small text helpers shared by the scripted models (the offline demo, test models)."""

from __future__ import annotations

import re

from pydantic_ai.messages import ModelMessage, ModelRequest, UserPromptPart

_WORD_CHUNK = re.compile(r"\S+\s*|\s+")


def word_chunks(text: str) -> list[str]:
    """`text` in word-sized pieces, spaces kept, so the joined pieces are `text` exactly."""
    return _WORD_CHUNK.findall(text)


def last_user_text(messages: list[ModelMessage]) -> str:
    """The text of the newest user prompt in a model request's messages."""
    for message in reversed(messages):
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    return part.content
    return ""
