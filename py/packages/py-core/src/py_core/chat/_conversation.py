"""An OpenAI-style conversation (role and text, sent whole) as the engine and the store
need it: instructions, a pydantic-ai history, the new user text, and stored turns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic_ai.messages import ModelMessage, ModelRequest, ModelResponse, TextPart, UserPromptPart

from py_core.errors import InvalidInput

ChatRole = Literal["system", "user", "assistant"]
"""Who said a message of a conversation."""


@dataclass(frozen=True, kw_only=True)
class ChatMessage:
    """One message of a conversation sent to `/v1/chat/completions`."""

    role: ChatRole
    """`system` messages become the instructions; the others the dialogue."""
    text: str
    """What was said."""


@dataclass(frozen=True, kw_only=True)
class StoredTurn:
    """A message as a thread stores it."""

    message: ChatMessage
    """The user or assistant message."""
    model_messages: list[ModelMessage] | None
    """For an assistant message: its turn (the user requests since the previous reply,
    then this response), which is what a thread's history is rebuilt from."""


@dataclass(frozen=True, kw_only=True)
class Conversation:
    """A conversation split the way a thread holds one."""

    instructions: str | None
    """Every system message, joined by blank lines; None when there is none."""
    earlier: list[ChatMessage]
    """The user and assistant messages before the last user message, in order."""
    user_text: str
    """The last user message: the one to answer."""

    @classmethod
    def of(cls, messages: Sequence[ChatMessage]) -> Conversation:
        """Split `messages`; `InvalidInput` unless the last non-system one is the user's."""
        if any("\x00" in m.text for m in messages):
            # PostgreSQL cannot store U+0000 in text; no legitimate message contains it.
            raise InvalidInput("A message must not contain the NUL character.", field="messages")
        system = [m.text for m in messages if m.role == "system" and m.text.strip()]
        dialogue = [m for m in messages if m.role != "system"]
        if not dialogue or dialogue[-1].role != "user":
            raise InvalidInput("The last message must be the user's.", field="messages")
        if not dialogue[-1].text.strip():
            raise InvalidInput("The last user message is empty.", field="messages")
        return cls(
            instructions="\n\n".join(system) or None,
            earlier=dialogue[:-1],
            user_text=dialogue[-1].text,
        )

    @property
    def first_user_text(self) -> str:
        """What the conversation opened with, for its thread's title."""
        return next((m.text for m in self.earlier if m.role == "user"), self.user_text)

    def history(self) -> list[ModelMessage]:
        """The earlier messages as pydantic-ai messages, one per message."""
        return [_model_message(m) for m in self.earlier]

    def stored_turns(self) -> tuple[list[StoredTurn], list[ModelMessage]]:
        """The earlier messages as a thread stores them, and the requests after the last
        assistant message (they belong to the new reply's turn)."""
        turns: list[StoredTurn] = []
        pending: list[ModelMessage] = []
        for message, model_message in zip(self.earlier, self.history(), strict=True):
            if message.role == "user":
                pending.append(model_message)
                turns.append(StoredTurn(message=message, model_messages=None))
            else:
                turns.append(StoredTurn(message=message, model_messages=[*pending, model_message]))
                pending = []
        return turns, pending


def _model_message(message: ChatMessage) -> ModelMessage:
    if message.role == "user":
        return ModelRequest(parts=[UserPromptPart(message.text)])
    return ModelResponse(parts=[TextPart(message.text)])
