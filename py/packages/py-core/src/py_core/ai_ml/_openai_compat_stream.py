"""The lean model's stream: chat completion chunks, read in batches, as pydantic-ai events.

Each batch (what arrived in one network read, or while the agent was busy) is decoded with
orjson and its consecutive deltas of one kind are merged before they reach the parts
manager: forty text chunks read together become one `PartDeltaEvent`, not forty. The
merged text, tool-call arguments and usage are exactly the sum of the chunks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx2
import orjson
from openai.types.chat import ChatCompletionChunk
from pydantic_ai._model_errors import stream_error
from pydantic_ai._utils import now_utc, number_to_datetime
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelResponseStreamEvent, PartStartEvent, TextPart, ThinkingPart
from pydantic_ai.models import StreamedResponse
from pydantic_ai.models.openai._chat_completions import CHAT_FINISH_REASON_MAP
from pydantic_ai.models.openai._response_fields import map_usage
from pydantic_ai.profiles import DEFAULT_THINKING_TAGS
from pydantic_ai.profiles.openai import OpenAIModelProfile

from py_core.ai_ml._openai_compat_http import ResponseBatches, transport_error
from py_core.ai_ml._sse import SSEDecoder

Source = Literal["content", "reasoning", "tool"]

_DONE = b"[DONE]"


@dataclass(kw_only=True)
class _Run:
    """Consecutive deltas of one kind, merged: they become one call to the parts manager."""

    source: Source
    """What the deltas add to: text, reasoning or a tool call."""
    key: str | int
    """The reasoning field or the tool call's index; unused for text."""
    pieces: list[str] = field(default_factory=list[str])
    """Text, reasoning or argument fragments, in order."""
    names: list[str] = field(default_factory=list[str])
    """Tool name fragments (servers send the name once, some in pieces)."""
    call_id: str | None = None
    """The tool call's id, the last one sent."""


@dataclass
class OpenAICompatStreamedResponse(StreamedResponse):
    """A Chat Completions stream over `ResponseBatches`."""

    _model_name: str
    """The model asked for, then the one each chunk names."""
    _provider_name: str
    """`openai` or `ollama`: the provider's name, as `OpenAIChatModel` reports it."""
    _provider_url: str
    """The server's base URL."""
    _profile: OpenAIModelProfile
    """The model's profile: thinking tags and field, leading whitespace."""
    _batches: ResponseBatches
    """The response body, batch by batch."""
    _timestamp: datetime = field(default_factory=now_utc)
    """When the stream opened."""
    _usage_received: bool | None = field(default=False, init=False)
    """Whether a chunk reported usage (pydantic-ai counts an unmeasured request otherwise)."""
    _content_generation: int = field(default=0, init=False)
    """Bumped when text must start a new part (after a tool call or reasoning)."""
    _reasoning_generation: int = field(default=0, init=False)
    """Bumped when reasoning must start a new part."""
    _awaiting_text_after_reasoning: bool = field(default=False, init=False)
    """Reasoning cut a text part short: its leading whitespace is held for the next text."""
    _held_whitespace: str = field(default="", init=False)
    """Whitespace held for the next text part."""
    _chunks: int = field(default=0, init=False)
    """Chunks decoded so far."""
    _refusal: str = field(default="", init=False)
    """Refusal text, when the model refused (then the finish reason is `content_filter`)."""

    async def close_stream(self) -> None:
        await self._batches.aclose()

    async def _get_event_iterator(self) -> AsyncIterator[ModelResponseStreamEvent]:
        decoder = SSEDecoder()
        try:
            async for batch in self._batches:
                for event in self._map_batch(decoder.feed(batch)):
                    yield event
        except httpx2.TransportError as exc:
            raise transport_error(exc, self._model_name) from exc
        for event in self._map_batch(decoder.close()):
            yield event
        if self._refusal:
            self.provider_details = {**(self.provider_details or {}), "refusal": self._refusal}
        if self.cancelled:
            return
        if not self._chunks:
            raise UnexpectedModelBehavior("Streamed response ended without content or tool calls")
        if self.finish_reason is None:
            # Some OpenAI-compatible servers never send one; pydantic-ai's OpenAI model says 'stop'.
            self.finish_reason = "stop"

    def _map_batch(self, events: list[bytes]) -> Iterator[ModelResponseStreamEvent]:
        run: _Run | None = None
        for data in events:
            if data == _DONE:
                continue
            chunk = _decode(data, self._model_name)
            self._chunks += 1
            if "error" in chunk:
                if run is not None:
                    yield from self._flush(run)
                raise _in_stream_error(chunk["error"], self._model_name)
            self._read_metadata(chunk)
            for source, key, fragment in self._fragments(chunk):
                if run is not None and (run.source, run.key) != (source, key):
                    yield from self._flush(run)
                    run = None
                if self._is_thinking_tag(source, fragment["text"]):
                    # The parts manager recognises a tag only as a delta of its own.
                    if run is not None:
                        yield from self._flush(run)
                        run = None
                    yield from self._flush(_Run(source=source, key=key, pieces=[fragment["text"]]))
                    continue
                run = run or _Run(source=source, key=key)
                _extend(run, fragment)
        if run is not None:
            yield from self._flush(run)

    def _read_metadata(self, chunk: dict[str, Any]) -> None:
        if (created := chunk.get("created")) and "timestamp" not in (self.provider_details or {}):
            self.provider_details = {
                **(self.provider_details or {}),
                "timestamp": number_to_datetime(created),
            }
        if chunk.get("id"):
            self.provider_response_id = chunk["id"]
        if chunk.get("model"):
            self._model_name = chunk["model"]
        if chunk.get("usage") is not None:
            usage = map_usage(
                ChatCompletionChunk.construct(**chunk),
                self._provider_name,
                self._provider_url,
                self._model_name,
            )
            self._add_usage(usage, reported=True)

    def _fragments(
        self, chunk: dict[str, Any]
    ) -> Iterator[tuple[Source, str | int, dict[str, Any]]]:
        """The deltas of the chunk's first choice, in the order OpenAIChatModel applies them."""
        choices = chunk.get("choices")
        if not choices:
            return
        choice = choices[0]
        if finish := choice.get("finish_reason"):
            self.provider_details = {**(self.provider_details or {}), "finish_reason": finish}
            if not self._refusal:
                self.finish_reason = CHAT_FINISH_REASON_MAP.get(finish)
        delta = choice.get("delta")
        if not delta:
            return
        if refusal := delta.get("refusal"):
            self._refusal += refusal
            self.finish_reason = "content_filter"
            return
        for name in (
            self._profile.get("openai_chat_thinking_field"),
            "reasoning",
            "reasoning_content",
        ):
            if name and isinstance(reasoning := delta.get(name), str) and reasoning:
                yield "reasoning", name, {"text": reasoning}
                break
        if text := _content_text(delta.get("content")):
            yield "content", "", {"text": text}
        for call in delta.get("tool_calls") or ():
            function = call.get("function") or {}
            fragment = {
                "text": function.get("arguments") or "",
                "name": function.get("name"),
                "id": call.get("id"),
            }
            yield "tool", call.get("index", 0), fragment

    def _is_thinking_tag(self, source: Source, text: str) -> bool:
        return source == "content" and text in self._profile.get(
            "thinking_tags", DEFAULT_THINKING_TAGS
        )

    def _flush(self, run: _Run) -> Iterator[ModelResponseStreamEvent]:
        manager = self._parts_manager
        if run.source == "tool":
            events = manager.handle_tool_call_delta_events(
                vendor_part_id=run.key,
                tool_name="".join(run.names) or None,
                args="".join(run.pieces) or None,
                tool_call_id=run.call_id,
            )
        elif run.source == "reasoning":
            events = manager.handle_thinking_delta(
                vendor_part_id=("reasoning", run.key, self._reasoning_generation),
                id=str(run.key),
                content="".join(run.pieces),
                provider_name=self.provider_name,
            )
        else:
            events = self._text_events(run.pieces)
        for event in events:
            if isinstance(event, PartStartEvent):
                self._advance_part_boundary(run.source)
            yield event

    def _text_events(self, pieces: list[str]) -> Iterator[ModelResponseStreamEvent]:
        vendor_part_id = ("content", self._content_generation)
        ignore_leading = self._profile.get("ignore_streamed_leading_whitespace", False)
        if ignore_leading and self._parts_manager.get_part_by_vendor_id(vendor_part_id) is None:
            # As chunk by chunk: whitespace-only chunks before the part starts are dropped,
            # except after reasoning that cut a text short, where they join the next text.
            while pieces and pieces[0].isspace():
                if self._awaiting_text_after_reasoning:
                    self._held_whitespace += pieces[0]
                pieces = pieces[1:]
        if not pieces:
            return
        for event in self._parts_manager.handle_text_delta(
            vendor_part_id=vendor_part_id,
            content="".join(pieces),
            thinking_tags=self._profile.get("thinking_tags", DEFAULT_THINKING_TAGS),
            ignore_leading_whitespace=ignore_leading,
        ):
            if isinstance(event, PartStartEvent) and isinstance(event.part, ThinkingPart):
                event.part.id = "content"
                event.part.provider_name = self.provider_name
            elif isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                event.part.content = self._held_whitespace + event.part.content
                self._held_whitespace = ""
            yield event

    def _advance_part_boundary(self, source: Source) -> None:
        """A new part of `source` started: later deltas of the other kinds start new parts too."""
        if source != "reasoning":
            self._reasoning_generation += 1
            self._awaiting_text_after_reasoning = False
        current = self._parts_manager.get_part_by_vendor_id(("content", self._content_generation))
        if source != "content" and isinstance(current, TextPart):
            self._content_generation += 1
            self._awaiting_text_after_reasoning = source == "reasoning"

    @property
    def model_name(self) -> str:
        return self._model_name

    @property
    def provider_name(self) -> str:
        return self._provider_name

    @property
    def provider_url(self) -> str:
        return self._provider_url

    @property
    def timestamp(self) -> datetime:
        return self._timestamp


def _decode(data: bytes, model_name: str) -> dict[str, Any]:
    try:
        chunk = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise UnexpectedModelBehavior(
            f"Invalid streamed chunk from {model_name!r}: not JSON",
            body=data.decode(errors="replace"),
        ) from exc
    if not isinstance(chunk, dict):
        raise UnexpectedModelBehavior(f"Invalid streamed chunk from {model_name!r}: not an object")
    return chunk


def _in_stream_error(error: object, model_name: str) -> Exception:
    """An error object sent inside the stream, with the status the same error has before one."""
    message = error.get("message") if isinstance(error, dict) else error
    return stream_error(model_name, str(message or ""), error)


def _content_text(content: object) -> str:
    """A delta's text; some servers stream it as a list of typed parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.get("text") or ""
            for part in content
            if isinstance(part, dict) and part.get("type") == "text"
        )
    return ""


def _extend(run: _Run, fragment: dict[str, Any]) -> None:
    if fragment["text"]:
        run.pieces.append(fragment["text"])
    if name := fragment.get("name"):
        run.names.append(name)
    if call_id := fragment.get("id"):
        run.call_id = call_id
