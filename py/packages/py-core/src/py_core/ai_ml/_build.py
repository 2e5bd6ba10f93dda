"""Turn one configured entry into a pydantic-ai model, with its key read from the environment.

Every provider gets its key and base URL passed explicitly, so pydantic-ai never reads
`os.environ` behind the configuration's back. Building a model opens no connection.

`openai-compatible` and `ollama` models are the lean `OpenAICompatModel` (see
`_openai_compat`): local servers stream fast, and there `OpenAIChatModel`'s per-chunk cost
is the app's largest. `openai` itself stays on `OpenAIChatModel`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.models.groq import GroqModel
from pydantic_ai.models.mistral import MistralModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.google import GoogleProvider
from pydantic_ai.providers.groq import GroqProvider
from pydantic_ai.providers.mistral import MistralProvider
from pydantic_ai.providers.ollama import OllamaProvider
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_ai.settings import ModelSettings

from py_core.ai_ml._config import ModelConfigError, ModelEntry, ProviderName
from py_core.ai_ml._openai_compat import OllamaCompatModel, OpenAICompatModel

DEFAULT_KEY_VARS: dict[ProviderName, str | None] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "google": "GOOGLE_API_KEY",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "ollama": None,
    "openai-compatible": None,
}
"""The variable a provider's key is read from when the entry names none; None: no key needed."""

OLLAMA_DEFAULT_URL = "http://localhost:11434/v1"

# Local servers (Ollama, llama.cpp, vLLM, LM Studio) accept any key, but the OpenAI
# client refuses to start without one.
_NO_KEY = "no-key-needed"


def build_model(entry: ModelEntry, env: Mapping[str, str], *, setting: str) -> Model:
    """The pydantic-ai model for `entry`; `ModelConfigError` when its key is missing."""
    key = _api_key(entry, env, setting=setting)
    settings = _model_settings(entry)
    name = entry.model
    match entry.provider:
        case "openai" | "openai-compatible":
            openai = OpenAIProvider(base_url=entry.base_url, api_key=key or _NO_KEY)
            if entry.api == "responses":
                return OpenAIResponsesModel(name, provider=openai, settings=settings)
            if entry.provider == "openai-compatible":
                return OpenAICompatModel(name, provider=openai, settings=settings)
            return OpenAIChatModel(name, provider=openai, settings=settings)
        case "anthropic":
            anthropic = AnthropicProvider(api_key=key, base_url=entry.base_url)
            return AnthropicModel(name, provider=anthropic, settings=settings)
        case "google":
            google = GoogleProvider(api_key=key, base_url=entry.base_url)
            return GoogleModel(name, provider=google, settings=settings)
        case "groq":
            groq = GroqProvider(api_key=key, base_url=entry.base_url)
            return GroqModel(name, provider=groq, settings=settings)
        case "mistral":
            mistral = MistralProvider(api_key=key, base_url=entry.base_url)
            return MistralModel(name, provider=mistral, settings=settings)
        case "ollama":
            base_url = entry.base_url or env.get("OLLAMA_BASE_URL") or OLLAMA_DEFAULT_URL
            ollama = OllamaProvider(base_url=base_url, api_key=key or _NO_KEY)
            return OllamaCompatModel(name, provider=ollama, settings=settings)


def _api_key(entry: ModelEntry, env: Mapping[str, str], *, setting: str) -> str | None:
    variable = entry.api_key_env or DEFAULT_KEY_VARS[entry.provider]
    if variable is None:
        return None
    key = env.get(variable, "").strip()
    if not key:
        raise ModelConfigError(
            setting,
            f"model {entry.id!r} needs its {entry.provider} API key: "
            f"set the environment variable {variable}",
        )
    return key


def _model_settings(entry: ModelEntry) -> ModelSettings | None:
    config = entry.settings
    settings = ModelSettings()
    if config.temperature is not None:
        settings["temperature"] = config.temperature
    if config.max_tokens is not None:
        settings["max_tokens"] = config.max_tokens
    if config.top_p is not None:
        settings["top_p"] = config.top_p
    if config.seed is not None:
        settings["seed"] = config.seed
    if config.timeout is not None:
        settings["timeout"] = config.timeout
    return settings or None
