"""The model configuration format (`PY_APP_MODELS` / `PY_APP_MODELS_FILE`) and its parsing.

Validation happens here, once, at start-up: a wrong entry becomes one `ModelConfigError`
that names the setting, instead of a failure on the first chat turn.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

ProviderName = Literal[
    "openai", "anthropic", "google", "groq", "mistral", "ollama", "openai-compatible"
]
"""Where a configured model runs. `openai-compatible` is any server speaking OpenAI's API."""

MODELS_VAR = "PY_APP_MODELS"
MODELS_FILE_VAR = "PY_APP_MODELS_FILE"
DEMO_DELAY_VAR = "PY_APP_DEMO_DELAY"

_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
_ENV_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"


class ModelConfigError(Exception):
    """The model configuration is wrong; raised at start-up, naming the setting."""

    def __init__(self, setting: str, message: str) -> None:
        super().__init__(f"{setting}: {message}")
        self.setting = setting
        """The variable at fault, with the entry when there is one: `PY_APP_MODELS models[1]`."""
        self.message = message
        """What is wrong and how to fix it."""


class ModelSettingsConfig(BaseModel):
    """Generation settings of one model; the subset every provider understands."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(default=None, ge=0, le=2)
    """Sampling temperature."""
    max_tokens: int | None = Field(default=None, gt=0)
    """Output tokens per request."""
    top_p: float | None = Field(default=None, gt=0, le=1)
    """Nucleus sampling."""
    seed: int | None = None
    """Seed for providers that support reproducible sampling."""
    timeout: float | None = Field(default=None, gt=0)
    """Seconds before one HTTP attempt is abandoned."""


class ModelPriceConfig(BaseModel):
    """What a model costs, in US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    input: Decimal = Field(ge=0, le=10_000)
    """Per million prompt tokens."""
    output: Decimal = Field(ge=0, le=10_000)
    """Per million generated tokens."""


class ModelAccessConfig(BaseModel):
    """Who may use a model; an entry without `access` is open to everyone. An
    administrator's choice on /admin overrides it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    roles: list[Literal["admin", "user"]] = []
    """Every account with one of these roles."""
    users: list[str] = []
    """These accounts, by email."""


class ModelEntry(BaseModel):
    """One offered model, as written in the configuration."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID_PATTERN)
    """Stable id that threads store, e.g. `gpt-mini`."""
    provider: ProviderName
    """Where the model runs."""
    model: str = Field(min_length=1)
    """The provider's model name, e.g. `gpt-4.1-mini`."""
    display_name: str | None = None
    """Name shown in the model picker; defaults to the id."""
    api: Literal["chat", "responses"] = "chat"
    """OpenAI API flavour, for `openai` and `openai-compatible`."""
    base_url: str | None = None
    """Server URL; required for `openai-compatible`, optional elsewhere."""
    api_key_env: str | None = Field(default=None, pattern=_ENV_NAME_PATTERN)
    """Environment variable holding the key (never the key itself)."""
    settings: ModelSettingsConfig = ModelSettingsConfig()
    """Generation settings."""
    fallback: list[str] = []
    """Ids of models tried in order when this one fails."""
    price: ModelPriceConfig | None = None
    """Its price; genai-prices' when absent (unknown when it has none)."""
    access: ModelAccessConfig | None = None
    """Who may use it; everyone when absent."""

    @model_validator(mode="after")
    def _check_provider_fields(self) -> ModelEntry:
        if self.provider == "openai-compatible" and not self.base_url:
            raise ValueError("an openai-compatible model needs a base_url")
        if self.api == "responses" and self.provider not in ("openai", "openai-compatible"):
            raise ValueError('api "responses" exists only for openai and openai-compatible')
        if self.id in self.fallback:
            raise ValueError("a model cannot be its own fallback")
        return self


class ModelsConfig(BaseModel):
    """The whole configuration: the offered models and which one new threads use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: str | None = None
    """Id of the model new threads use; defaults to the first."""
    models: list[ModelEntry] = Field(min_length=1)
    """The offered models, in picker order."""

    @model_validator(mode="after")
    def _check_references(self) -> ModelsConfig:
        ids = [entry.id for entry in self.models]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate model ids: {', '.join(duplicates)}")
        if self.default is not None and self.default not in ids:
            raise ValueError(f"default {self.default!r} is not one of the model ids")
        for entry in self.models:
            unknown = [f for f in entry.fallback if f not in ids]
            if unknown:
                raise ValueError(f"model {entry.id!r} falls back to unknown ids: {unknown}")
        return self


def read_models_config(env: Mapping[str, str]) -> tuple[str, ModelsConfig] | None:
    """The parsed configuration and the variable it came from, or None when none is set."""
    inline = env.get(MODELS_VAR, "").strip()
    path = env.get(MODELS_FILE_VAR, "").strip()
    if inline and path:
        raise ModelConfigError(MODELS_VAR, f"set {MODELS_VAR} or {MODELS_FILE_VAR}, not both")
    if inline:
        return MODELS_VAR, _validate(MODELS_VAR, _parse_json(MODELS_VAR, inline))
    if path:
        return MODELS_FILE_VAR, _validate(MODELS_FILE_VAR, _read_file(path))
    return None


def demo_delay(env: Mapping[str, str]) -> float:
    """Seconds between the demo model's chunks (`PY_APP_DEMO_DELAY`, default 0.03)."""
    raw = env.get(DEMO_DELAY_VAR, "").strip()
    if not raw:
        return 0.03
    try:
        value = float(raw)
    except ValueError:
        raise ModelConfigError(DEMO_DELAY_VAR, f"expected seconds, got {raw!r}") from None
    if value < 0:
        raise ModelConfigError(DEMO_DELAY_VAR, "must not be negative")
    return value


def _read_file(path: str) -> object:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ModelConfigError(MODELS_FILE_VAR, f"cannot read {path}: {exc.strerror}") from None
    if file.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ModelConfigError(MODELS_FILE_VAR, f"{path} is not valid TOML: {exc}") from None
    return _parse_json(MODELS_FILE_VAR, text)


def _parse_json(setting: str, text: str) -> object:
    try:
        data: object = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ModelConfigError(setting, f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    return data


def _validate(setting: str, data: object) -> ModelsConfig:
    # A bare list of models is accepted as shorthand for {"models": [...]}.
    if isinstance(data, list):
        data = {"models": data}
    try:
        return ModelsConfig.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(error) for error in exc.errors())
        raise ModelConfigError(setting, problems) from None


def _describe(error: Mapping[str, Any]) -> str:
    location = "".join(
        f"[{part}]" if isinstance(part, int) else f".{part}" for part in error["loc"]
    )
    message = re.sub(r"^(Value|Assertion) error, ", "", str(error["msg"]))
    if error["loc"] and error["loc"][-1] == "api_key":
        message = "keys never go in the configuration; name their variable in api_key_env"
    # Never echo the offending value: a key pasted into the wrong field must not reach a log.
    return f"{location.lstrip('.') or 'configuration'}: {message}"
