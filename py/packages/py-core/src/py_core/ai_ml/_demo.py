"""The offline demo model: the whole app works with no provider and no network.

A pydantic-ai `FunctionModel` that streams a deterministic reply at a typing pace. It says
plainly what it is and how to configure a real provider, and makes something of the
prompt: a word count and a restatement, and a call to the date-and-time tool when the
user asks for the time, so the tool path can be seen offline too. It answers in
Markdown (a table, a list, inline math, code blocks), so the first reply a newcomer
sees shows what the chat page renders.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from py_core.ai_ml._text import last_user_text, word_chunks

DEMO_MODEL_NAME = "offline-demo"
DATETIME_TOOL = "current_datetime"

_ASKS_FOR_TIME = re.compile(r"\b(time|date|day|today|clock)\b", re.IGNORECASE)
_HOW_TO_CONFIGURE = (
    "To talk to a real model, set `PY_APP_MODELS` (or `PY_APP_MODELS_FILE`) to a list of "
    "models and put the provider's key in its variable (here `OPENAI_API_KEY`); Anthropic, "
    "Google, Groq, Mistral, Ollama and any OpenAI-compatible server work the same way. "
    "See py/docs/AI_ML.md.\n\n"
    "```json\n"
    '[{"id": "gpt", "provider": "openai", "model": "gpt-4.1-mini"}]\n'
    "```"
)
# What the page can render, shown to a newcomer in the first reply they see.
_SAMPLE = (
    "### What a reply can show\n\n"
    "Replies are Markdown, formatted while they stream:\n\n"
    "- **bold**, *italics* and `inline code`\n"
    "- tables, like the one above\n"
    "- math, such as $e^{{i\\pi}} + 1 = 0$\n"
    "- code blocks, highlighted, each with its own Copy button:\n\n"
    "```python\n"
    "message = {message}\n"
    "print(len(message.split()), 'words')\n"
    "```"
)


def demo_model(*, delay: float = 0.03) -> FunctionModel:
    """The demo model; `delay` is the pause between chunks in seconds (0 in tests)."""

    async def stream(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        tool_names = {tool.name for tool in info.function_tools}
        prompt = last_user_text(messages)
        tool_result = _last_tool_result(messages)
        if tool_result is None and DATETIME_TOOL in tool_names and _ASKS_FOR_TIME.search(prompt):
            yield {0: DeltaToolCall(name=DATETIME_TOOL, json_args="{}", tool_call_id="demo-time")}
            return
        for chunk in word_chunks(demo_reply(prompt, tool_result=tool_result)):
            await asyncio.sleep(delay)
            yield chunk

    def request(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        reply = demo_reply(last_user_text(messages), tool_result=_last_tool_result(messages))
        return ModelResponse(parts=[TextPart(reply)])

    return FunctionModel(request, stream_function=stream, model_name=DEMO_MODEL_NAME)


def demo_reply(prompt: str, *, tool_result: str | None = None) -> str:
    """What the demo answers to `prompt`, in Markdown; the same prompt always gets the
    same reply."""
    lines = ["This is the offline demo model, **not a real AI**: no provider is configured."]
    if tool_result is not None:
        lines.append(f"I asked the date-and-time tool, which says: {tool_result}.")
    words = prompt.split()
    if words:
        plural = "" if len(words) == 1 else "s"
        kind = "a question" if prompt.rstrip().endswith("?") else "a message"
        restated = _restate(words)
        lines.append(f'In short, you sent {kind} about:\n\n> "{restated}"')
        lines.append(
            f"| words | characters | kind |\n|---:|---:|---|\n"
            f"| {len(words)} | {len(prompt)} | {kind} |\n\n"
            f"Your message has {len(words)} word{plural} and {len(prompt)} characters."
        )
        lines.append(_SAMPLE.format(message=repr(restated)))
    lines.append("### Use a real model\n\n" + _HOW_TO_CONFIGURE)
    return "\n\n".join(lines)


def _restate(words: list[str], limit: int = 16) -> str:
    head = " ".join(words[:limit])
    return head + ("..." if len(words) > limit else "")


def _last_tool_result(messages: list[ModelMessage]) -> str | None:
    last = messages[-1] if messages else None
    if isinstance(last, ModelRequest):
        for part in last.parts:
            if isinstance(part, ToolReturnPart):
                return part.model_response_str()
    return None
