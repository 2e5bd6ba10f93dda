"""A wrong model configuration fails at start-up with one error that names the setting."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from py_core.ai_ml import ModelConfigError, load_model_catalog

KEY = "sk-fake-0123456789-secret"


def env_with(models: Any) -> dict[str, str]:
    return {"PY_APP_MODELS": json.dumps(models), "OPENAI_API_KEY": KEY, "GROQ_API_KEY": KEY}


BROKEN: list[tuple[dict[str, str], str, list[str]]] = [
    (
        {"PY_APP_MODELS": json.dumps([{"id": "gpt", "provider": "openai", "model": "g"}])},
        "PY_APP_MODELS models[0]",
        ["'gpt'", "OPENAI_API_KEY"],
    ),
    (
        env_with(
            [
                {
                    "id": "l",
                    "provider": "openai-compatible",
                    "model": "m",
                    "base_url": "http://x",
                    "api_key_env": "VLLM_KEY",
                }
            ]
        ),
        "PY_APP_MODELS models[0]",
        ["VLLM_KEY"],
    ),
    (
        env_with([{"id": "x", "provider": "openia", "model": "m"}]),
        "PY_APP_MODELS",
        ["models[0].provider", "'openai'"],
    ),
    ({"PY_APP_MODELS": "[{"}, "PY_APP_MODELS", ["not valid JSON"]),
    (
        env_with([{"id": "x", "provider": "openai"}]),
        "PY_APP_MODELS",
        ["models[0].model", "required"],
    ),
    (
        env_with([{"id": "x", "provider": "openai", "model": "m", "api_key": KEY}]),
        "PY_APP_MODELS",
        ["models[0].api_key", "api_key_env"],
    ),
    (
        env_with([{"id": "x", "provider": "openai", "model": "m", "settings": {"temprature": 1}}]),
        "PY_APP_MODELS",
        ["models[0].settings.temprature"],
    ),
    (
        env_with([{"id": "x", "provider": "openai", "model": "m", "settings": {"temperature": 9}}]),
        "PY_APP_MODELS",
        ["models[0].settings.temperature"],
    ),
    (
        env_with(
            [
                {"id": "x", "provider": "openai", "model": "a"},
                {"id": "x", "provider": "groq", "model": "b"},
            ]
        ),
        "PY_APP_MODELS",
        ["duplicate model ids: x"],
    ),
    (
        env_with([{"id": "x", "provider": "openai", "model": "a", "fallback": ["y"]}]),
        "PY_APP_MODELS",
        ["unknown ids", "'y'"],
    ),
    (
        env_with([{"id": "x", "provider": "openai", "model": "a", "fallback": ["x"]}]),
        "PY_APP_MODELS",
        ["its own fallback"],
    ),
    (
        env_with({"default": "z", "models": [{"id": "x", "provider": "openai", "model": "a"}]}),
        "PY_APP_MODELS",
        ["default 'z'"],
    ),
    (env_with({"models": []}), "PY_APP_MODELS", ["models", "at least 1"]),
    (
        env_with([{"id": "x", "provider": "openai-compatible", "model": "a"}]),
        "PY_APP_MODELS",
        ["needs a base_url"],
    ),
    (
        env_with([{"id": "x", "provider": "anthropic", "model": "a", "api": "responses"}]),
        "PY_APP_MODELS",
        ["only for openai"],
    ),
    (
        env_with([{"id": "x y", "provider": "openai", "model": "a"}]),
        "PY_APP_MODELS",
        ["models[0].id"],
    ),
    ({"PY_APP_MODELS": "[]", "PY_APP_MODELS_FILE": "m.json"}, "PY_APP_MODELS", ["not both"]),
    ({"PY_APP_MODELS_FILE": "/nonexistent/models.toml"}, "PY_APP_MODELS_FILE", ["cannot read"]),
    ({"PY_APP_DEMO_DELAY": "fast"}, "PY_APP_DEMO_DELAY", ["expected seconds"]),
]


@pytest.mark.parametrize(("env", "setting", "phrases"), BROKEN, ids=lambda v: str(v)[:50])
def test_a_misconfiguration_fails_with_one_clear_error(
    env: dict[str, str], setting: str, phrases: list[str]
) -> None:
    with pytest.raises(ModelConfigError) as caught:
        load_model_catalog(env)

    error = caught.value
    assert error.setting == setting
    assert str(error).startswith(f"{setting}: ")
    for phrase in phrases:
        assert phrase in error.message
    assert KEY not in str(error)
    assert error.__cause__ is None


def test_a_toml_syntax_error_names_the_file_variable(tmp_path: Path) -> None:
    path = tmp_path / "models.toml"
    path.write_text("[[models]\n")

    with pytest.raises(ModelConfigError) as caught:
        load_model_catalog({"PY_APP_MODELS_FILE": str(path)})

    assert caught.value.setting == "PY_APP_MODELS_FILE"
    assert "not valid TOML" in caught.value.message
