"""The model catalog from configuration: every provider, fallbacks, files, and clear errors.

Building a model opens no connection, so these run offline with fake keys.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.fallback import FallbackModel
from pydantic_ai.models.google import GoogleModel
from pydantic_ai.models.groq import GroqModel
from pydantic_ai.models.mistral import MistralModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel

from py_core.ai_ml import UnknownModel, load_model_catalog
from py_core.ai_ml._openai_compat import OllamaCompatModel, OpenAICompatModel

KEY = "sk-fake-0123456789-secret"
KEY_VARS = ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_API_KEY", "GROQ_API_KEY"]
KEYS = dict.fromkeys([*KEY_VARS, "MISTRAL_API_KEY", "LOCAL_KEY"], KEY)


def env_with(models: Any, **extra: str) -> dict[str, str]:
    return {"PY_APP_MODELS": json.dumps(models), **KEYS, **extra}


PROVIDERS: list[tuple[dict[str, Any], type, str]] = [
    (
        {"provider": "openai", "model": "gpt-4.1-mini"},
        OpenAIChatModel,
        "https://api.openai.com/v1/",
    ),
    (
        {"provider": "openai", "model": "gpt-5", "api": "responses"},
        OpenAIResponsesModel,
        "https://api.openai.com/v1/",
    ),
    (
        {"provider": "anthropic", "model": "claude-sonnet-4-5"},
        AnthropicModel,
        "https://api.anthropic.com",
    ),
    (
        {"provider": "google", "model": "gemini-2.5-flash"},
        GoogleModel,
        "https://generativelanguage",
    ),
    ({"provider": "groq", "model": "llama-3.3-70b-versatile"}, GroqModel, "https://api.groq.com"),
    (
        {"provider": "mistral", "model": "mistral-small-latest"},
        MistralModel,
        "https://api.mistral.ai",
    ),
    ({"provider": "ollama", "model": "qwen3"}, OllamaCompatModel, "http://localhost:11434/v1/"),
    (
        {
            "provider": "openai-compatible",
            "model": "qwen2.5-7b-instruct",
            "base_url": "http://127.0.0.1:8080/v1",
            "api_key_env": "LOCAL_KEY",
        },
        OpenAICompatModel,
        "http://127.0.0.1:8080/v1/",
    ),
]


@pytest.mark.parametrize(("entry", "model_class", "base_url"), PROVIDERS, ids=lambda v: str(v)[:40])
def test_every_provider_builds_from_configuration(
    entry: dict[str, Any], model_class: type, base_url: str
) -> None:
    config = [{"id": "m", "display_name": "My model", **entry, "settings": {"temperature": 0.2}}]

    catalog = load_model_catalog(env_with(config))

    model = catalog.build("m")
    assert isinstance(model, model_class)
    assert model.model_name == entry["model"]
    assert (model.base_url or "").startswith(base_url)
    assert model.settings == {"temperature": 0.2}
    option = catalog.get("m")
    assert (option.display_name, option.provider, option.is_demo) == (
        "My model",
        entry["provider"],
        False,
    )
    assert KEY not in repr(option)
    assert KEY not in repr(model)


def test_a_fallback_chain_builds_a_fallback_model() -> None:
    config = {
        "default": "local",
        "models": [
            {
                "id": "gpt",
                "provider": "openai",
                "model": "gpt-4.1",
                "fallback": ["claude", "local"],
            },
            {"id": "claude", "provider": "anthropic", "model": "claude-haiku-4-5"},
            {
                "id": "local",
                "provider": "ollama",
                "model": "llama3.2",
                "base_url": "http://gpu:11434/v1",
            },
        ],
    }

    catalog = load_model_catalog(env_with(config))

    model = catalog.build("gpt")
    assert isinstance(model, FallbackModel)
    assert [type(m) for m in model.models] == [OpenAIChatModel, AnthropicModel, OllamaCompatModel]
    assert catalog.get("gpt").fallback == ("claude", "local")
    assert catalog.default_id == "local"
    assert [o.id for o in catalog.options] == ["gpt", "claude", "local"]
    assert isinstance(catalog.build("claude"), AnthropicModel)


def test_the_first_model_is_the_default() -> None:
    catalog = load_model_catalog(env_with([{"id": "x", "provider": "groq", "model": "g"}]))

    assert catalog.default_id == "x"
    assert not catalog.is_demo


TOML = """
default = "claude"

[[models]]
id = "gpt"
provider = "openai"
model = "gpt-4.1"

[[models]]
id = "claude"
provider = "anthropic"
model = "claude-sonnet-4-5"
settings = { max_tokens = 2048 }
"""


@pytest.mark.parametrize("suffix", [".json", ".toml"])
def test_configuration_from_a_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"models{suffix}"
    if suffix == ".toml":
        path.write_text(TOML)
    else:
        path.write_text(
            json.dumps(
                {
                    "default": "claude",
                    "models": [
                        {"id": "gpt", "provider": "openai", "model": "gpt-4.1"},
                        {
                            "id": "claude",
                            "provider": "anthropic",
                            "model": "claude-sonnet-4-5",
                            "settings": {"max_tokens": 2048},
                        },
                    ],
                }
            )
        )

    catalog = load_model_catalog({"PY_APP_MODELS_FILE": str(path), **KEYS})

    assert [o.id for o in catalog.options] == ["gpt", "claude"]
    assert catalog.default_id == "claude"
    assert catalog.build("claude").settings == {"max_tokens": 2048}


def test_nothing_configured_means_the_demo_only() -> None:
    catalog = load_model_catalog({"OPENAI_API_KEY": KEY})  # a key alone configures nothing

    assert [o.id for o in catalog.options] == ["demo"]
    assert catalog.is_demo
    assert catalog.get("demo").is_demo


def test_the_demo_is_gone_once_a_provider_is_configured() -> None:
    catalog = load_model_catalog(env_with([{"id": "gpt", "provider": "openai", "model": "g"}]))

    assert all(not o.is_demo for o in catalog.options)
    with pytest.raises(UnknownModel):
        catalog.get("demo")
