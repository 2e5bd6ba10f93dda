"""A lean pydantic-ai model for OpenAI-compatible Chat Completions: httpx2, orjson, batched stream.

`OpenAIChatModel` builds a pydantic model per streamed chunk (the `openai` SDK) and then a
pydantic-ai event per chunk, so a 64-word reply costs ~64 of each. This model keeps
`OpenAIChatModel`'s request side (message, tool and settings mapping, profile) and its
response mapping for whole responses, and replaces the wire: one pooled `httpx2` client per
model, orjson, and a stream that hands the agent one merged delta per network read (see
`_openai_compat_stream`). Errors are the ones `OpenAIChatModel` raises (`_openai_compat_http`).

```python
model = OpenAICompatModel("qwen2.5-7b", provider=OpenAIProvider(base_url=url, api_key=key))
async with model:                       # closes its HTTP client on exit
    ...
```
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Mapping
from contextlib import asynccontextmanager
from types import TracebackType
from typing import Any, cast

import httpx2
import orjson
from openai import AsyncOpenAI, Omit
from openai.types.chat import ChatCompletion
from pydantic_ai.exceptions import UnexpectedModelBehavior
from pydantic_ai.messages import ModelMessage, ModelResponse
from pydantic_ai.models import (
    ModelRequestParameters,
    StreamedResponse,
    check_allow_model_requests,
)
from pydantic_ai.models.ollama import OllamaModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIChatModelSettings
from pydantic_ai.models.openai._caching import keep_implicit_cache_without_breakpoints
from pydantic_ai.models.openai._reasoning import drop_sampling_params_for_reasoning
from pydantic_ai.models.openai._settings import drop_unsupported_params, resolve_openai_service_tier
from pydantic_ai.profiles import ModelProfileSpec
from pydantic_ai.providers import Provider
from pydantic_ai.settings import ModelSettings
from pydantic_ai.tools import RunContext

from py_core.ai_ml._openai_compat_http import (
    DEFAULT_MAX_RETRIES,
    ResponseBatches,
    new_http_client,
    request_timeout,
    send,
    transport_error,
)
from py_core.ai_ml._openai_compat_stream import OpenAICompatStreamedResponse

_OPTIONAL_FIELDS: tuple[tuple[str, str], ...] = (
    ("temperature", "temperature"),
    ("top_p", "top_p"),
    ("seed", "seed"),
    ("stop", "stop_sequences"),
    ("presence_penalty", "presence_penalty"),
    ("frequency_penalty", "frequency_penalty"),
    ("logit_bias", "logit_bias"),
    ("user", "openai_user"),
    ("logprobs", "openai_logprobs"),
    ("top_logprobs", "openai_top_logprobs"),
    ("store", "openai_store"),
    ("prediction", "openai_prediction"),
    ("verbosity", "openai_text_verbosity"),
    ("moderation", "openai_moderation"),
    ("prompt_cache_key", "openai_prompt_cache_key"),
    ("prompt_cache_retention", "openai_prompt_cache_retention"),
    ("prompt_cache_options", "openai_prompt_cache_options"),
)
"""Request fields copied as they are from a setting: (field, setting)."""


class OpenAICompatModel(OpenAIChatModel):
    """`OpenAIChatModel` over a lean transport. The provider's SDK client is never called."""

    def __init__(
        self,
        model_name: str,
        *,
        provider: Provider[AsyncOpenAI],
        settings: ModelSettings | None = None,
        profile: ModelProfileSpec | None = None,
    ) -> None:
        super().__init__(model_name, provider=provider, settings=settings, profile=profile)
        self._http: httpx2.AsyncClient | None = None
        self._http_loop: asyncio.AbstractEventLoop | None = None
        self._url = f"{self.base_url.rstrip('/')}/chat/completions"

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> bool | None:
        http, self._http = self._http, None
        if http is not None:
            await http.aclose()
        return await super().__aexit__(exc_type, exc_val, exc_tb)

    async def request(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
    ) -> ModelResponse:
        check_allow_model_requests()
        merged, params = self.prepare_request(model_settings, model_request_parameters)
        settings = cast(OpenAIChatModelSettings, merged or {})
        body = await self._request_body(messages, settings, params, stream=False)
        response = await self._send(body, settings)
        try:
            content = await response.aread()
        except httpx2.TransportError as exc:
            raise transport_error(exc, self.model_name) from exc
        finally:
            await response.aclose()
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError:
            data = None
        if not isinstance(data, dict):
            raise UnexpectedModelBehavior(
                f"Invalid response from {self.system} chat completions endpoint, expected JSON data"
            )
        # Built as the SDK builds it, unvalidated; `_process_response` validates.
        return self._process_response(
            ChatCompletion.construct(**data),
            include_raw_annotations=bool(settings.get("openai_include_raw_annotations")),
            include_unmapped_response_data=bool(
                settings.get("openai_include_unmapped_response_data")
            ),
        )

    @asynccontextmanager
    async def request_stream(
        self,
        messages: list[ModelMessage],
        model_settings: ModelSettings | None,
        model_request_parameters: ModelRequestParameters,
        run_context: RunContext[Any] | None = None,
    ) -> AsyncGenerator[StreamedResponse]:
        check_allow_model_requests()
        merged, params = self.prepare_request(model_settings, model_request_parameters)
        settings = cast(OpenAIChatModelSettings, merged or {})
        body = await self._request_body(messages, settings, params, stream=True)
        batches = ResponseBatches(await self._send(body, settings))
        try:
            stream = OpenAICompatStreamedResponse(
                model_request_parameters=params,
                _model_name=self.model_name,
                _provider_name=self._provider.name,
                _provider_url=self._provider.base_url,
                _profile=self.profile,
                _batches=batches,
            )
            stream.canonical_system = self._canonical_system_stamp
            yield stream
        finally:
            await batches.aclose()

    async def _send(
        self, body: dict[str, Any], settings: OpenAIChatModelSettings
    ) -> httpx2.Response:
        client = self._client()
        headers = {
            "Authorization": f"Bearer {self.client.api_key}",
            "Content-Type": "application/json",
            **cast(Mapping[str, str], settings.get("extra_headers") or {}),
        }
        request = client.build_request(
            "POST",
            self._url,
            content=orjson.dumps(body),
            headers=headers,
            timeout=request_timeout(settings.get("timeout")),
        )
        return await send(
            client,
            request,
            model_name=self.model_name,
            namespace=self._provider.model_id_namespace,
            api_key=self.client.api_key,
            max_retries=settings.get("max_retries", DEFAULT_MAX_RETRIES),
        )

    def _client(self) -> httpx2.AsyncClient:
        """The model's pooled client; a new one on a new event loop, where the old can't work."""
        loop = asyncio.get_running_loop()
        if self._http is None or self._http_loop is not loop:
            self._http, self._http_loop = new_http_client(), loop
        return self._http

    async def _request_body(
        self,
        messages: list[ModelMessage],
        model_settings: OpenAIChatModelSettings,
        params: ModelRequestParameters,
        *,
        stream: bool,
    ) -> dict[str, Any]:
        """The Chat Completions request, mapped by `OpenAIChatModel`'s own helpers."""
        profile = self.profile
        tools, tool_choice = self._get_tool_choice(model_settings, params)
        openai_messages = await self._map_messages(messages, params, model_settings=model_settings)
        self._finalize_cache_breakpoints(tools, openai_messages)
        settings = OpenAIChatModelSettings(**model_settings)  # the helpers below mutate it
        drop_sampling_params_for_reasoning(profile, settings, params)
        keep_implicit_cache_without_breakpoints(settings, openai_messages)
        drop_unsupported_params(profile, settings)

        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": openai_messages,
            "stream": stream,
        }
        if stream:
            body["stream_options"] = self._get_stream_options(settings)
        if tools:
            body["tools"] = tools
            body["tool_choice"] = tool_choice
            if "parallel_tool_calls" in settings:
                body["parallel_tool_calls"] = settings["parallel_tool_calls"]
        if params.output_mode == "native" and params.output_object is not None:
            body["response_format"] = self._map_json_schema(params.output_object)
        elif params.output_mode == "prompted" and profile.get("supports_json_object_output", False):
            body["response_format"] = {"type": "json_object"}
        if "max_tokens" in settings:
            # Servers accept one of the two; the profile says which, as for OpenAIChatModel.
            modern = profile.get("openai_chat_supports_max_completion_tokens", True)
            body["max_completion_tokens" if modern else "max_tokens"] = settings["max_tokens"]
        raw_settings = cast(dict[str, Any], settings)
        for name, setting in _OPTIONAL_FIELDS:
            if setting in raw_settings:
                body[name] = raw_settings[setting]
        for name, value in (
            ("reasoning_effort", self._translate_thinking(settings, params)),
            ("service_tier", resolve_openai_service_tier(settings)),
            ("web_search_options", self._get_web_search_options(params)),
        ):
            if value is not None and not isinstance(value, Omit):
                body[name] = value
        extra_body = self._thinking_false_extra_body(settings, params)
        if isinstance(extra_body, dict):
            body.update(extra_body)
        return body


class OllamaCompatModel(OpenAICompatModel, OllamaModel):
    """`OllamaModel` (its profile adjustments) over the lean transport."""
