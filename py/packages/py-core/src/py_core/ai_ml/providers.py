"""The models a deployment offers, built from configuration at start-up.

```python
catalog = load_model_catalog()          # reads PY_APP_MODELS / PY_APP_MODELS_FILE
catalog.options                         # what the model picker shows
model = catalog.build(catalog.default_id)  # a pydantic-ai Model, with its fallbacks
```

With nothing configured the catalog holds only the offline demo model; as soon as one
provider is configured the demo is gone, so it is never used silently.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass
from decimal import Decimal
from types import TracebackType
from typing import Literal

from pydantic_ai.models import Model
from pydantic_ai.models.fallback import FallbackModel

from py_core.ai_ml._build import build_model
from py_core.ai_ml._config import (
    ModelConfigError,
    ProviderName,
    demo_delay,
    read_models_config,
)
from py_core.ai_ml._demo import DEMO_MODEL_NAME, demo_model
from py_core.ai_ml.pricing import Price, lookup_price
from py_core.database.models.user import normalise_email
from py_core.errors import InvalidInput

DEMO_MODEL_ID = "demo"

RoleName = Literal["admin", "user"]
"""A role as the model configuration names it (`UserRole`'s values)."""

__all__ = [
    "DEMO_MODEL_ID",
    "CatalogEntry",
    "ModelAccess",
    "ModelCatalog",
    "ModelConfigError",
    "ModelOption",
    "ProviderName",
    "RoleName",
    "UnknownModel",
    "load_model_catalog",
]


@dataclass(frozen=True, kw_only=True)
class ModelOption:
    """One model as the app shows it; holds no key and nothing secret."""

    id: str
    """Stable id that threads store and requests name."""
    display_name: str = ""
    """Name shown in the model picker; the id when empty."""
    provider: ProviderName | Literal["demo", "custom"] = "custom"
    """Where it runs; `custom` for models registered in code (tests, embedders)."""
    model_name: str = ""
    """The provider's model name."""
    is_demo: bool = False
    """True for the offline demo model only."""
    fallback: tuple[str, ...] = ()
    """Ids of the models tried in order when this one fails."""
    price: Price | None = None
    """The configured price; None to ask genai-prices (`ModelCatalog.price`)."""
    base_url: str | None = None
    """The server of an `openai-compatible` model, which genai-prices may know by it."""
    access: ModelAccess | None = None
    """Who may use it, as configured; None for everyone."""

    @property
    def label(self) -> str:
        """The name to show: the display name, else the id."""
        return self.display_name or self.id


@dataclass(frozen=True, kw_only=True)
class ModelAccess:
    """Who may use a model, besides administrators (who may use every model)."""

    roles: frozenset[RoleName] = frozenset()
    """Every account with one of these roles."""
    emails: frozenset[str] = frozenset()
    """These accounts (normalised emails)."""
    user_ids: frozenset[str] = frozenset()
    """These accounts, by id (what an administrator picks on /admin)."""

    def allows(self, *, role: str, email: str, user_id: str) -> bool:
        if role == "admin" or role in self.roles:
            return True
        return email in self.emails or user_id in self.user_ids


@dataclass(frozen=True, kw_only=True)
class CatalogEntry:
    """An option and the pydantic-ai model that serves it."""

    option: ModelOption
    """What the app shows."""
    model: Model
    """What runs; its client holds the key, which never leaves it."""


class UnknownModel(InvalidInput):
    """A model id that the catalog does not offer."""

    def __init__(self, model_id: str, known: Sequence[str]) -> None:
        super().__init__(
            f"Unknown model {model_id!r}; available: {', '.join(known)}.", field="model"
        )
        self.model_id = model_id


class ModelCatalog:
    """The offered models. Build it with `load_model_catalog`, or directly in tests.

    Use it as an async context manager for the life of the app (`async with catalog:`)
    so that the providers' HTTP clients are closed on exit.
    """

    def __init__(self, entries: Sequence[CatalogEntry], *, default_id: str | None = None) -> None:
        if not entries:
            raise ValueError("a catalog needs at least one model")
        self._entries = {entry.option.id: entry for entry in entries}
        if len(self._entries) != len(entries):
            raise ValueError("model ids must be unique")
        for entry in entries:
            for fallback_id in entry.option.fallback:
                self.get(fallback_id)
        self._default_id = default_id or entries[0].option.id
        self.get(self._default_id)
        self._exit_stack: AsyncExitStack | None = None
        self._prices: dict[str, Price | None] = {}

    async def __aenter__(self) -> ModelCatalog:
        async with AsyncExitStack() as stack:
            for entry in self._entries.values():
                await stack.enter_async_context(entry.model)
            self._exit_stack = stack.pop_all()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        stack, self._exit_stack = self._exit_stack, None
        if stack is not None:
            await stack.aclose()

    @classmethod
    def demo(cls, *, delay: float = 0.03) -> ModelCatalog:
        """The catalog of an unconfigured deployment: the offline demo model alone."""
        option = ModelOption(
            id=DEMO_MODEL_ID,
            display_name="Offline demo (no AI provider configured)",
            provider="demo",
            model_name=DEMO_MODEL_NAME,
            is_demo=True,
        )
        return cls([CatalogEntry(option=option, model=demo_model(delay=delay))])

    @property
    def options(self) -> list[ModelOption]:
        """The offered models, in configuration order."""
        return [entry.option for entry in self._entries.values()]

    @property
    def default_id(self) -> str:
        """The model new threads use."""
        return self._default_id

    @property
    def is_demo(self) -> bool:
        """True when no real provider is configured."""
        return all(option.is_demo for option in self.options)

    def get(self, model_id: str) -> ModelOption:
        """The option with this id; `UnknownModel` when there is none."""
        entry = self._entries.get(model_id)
        if entry is None:
            raise UnknownModel(model_id, list(self._entries))
        return entry.option

    def model_for(self, model_id: str | None) -> ModelOption:
        """The model a thread's reply runs on: its own, or the default when it has
        none or its model is no longer configured."""
        entry = self._entries.get(model_id) if model_id is not None else None
        return entry.option if entry is not None else self.get(self._default_id)

    def price(self, model_id: str) -> Price | None:
        """What the model costs: its configured price, else genai-prices' (looked up
        once and kept, "unknown" included), else None."""
        if model_id in self._prices:
            return self._prices[model_id]
        option = self.get(model_id)
        if option.price is not None:
            price: Price | None = option.price
        elif option.is_demo:
            price = Price(input=Decimal(0), output=Decimal(0), source="demo")
        else:
            price = lookup_price(option.provider, option.model_name, option.base_url)
        self._prices[model_id] = price
        return price

    def price_of_answer(self, model_id: str, model_name: str) -> Price | None:
        """The price of whichever model of `model_id`'s chain answered (`model_name`):
        a fallback that took over is charged at its own price."""
        option = self.get(model_id)
        for candidate in (option.id, *option.fallback):
            if self.get(candidate).model_name == model_name:
                return self.price(candidate)
        return self.price(model_id)

    def build(self, model_id: str) -> Model:
        """The model to run for `model_id`, wrapped in a `FallbackModel` when it has fallbacks."""
        option = self.get(model_id)
        primary = self._entries[model_id].model
        if not option.fallback:
            return primary
        # A fallback's own fallbacks are not followed: the chain is exactly what was configured.
        return FallbackModel(primary, *(self._entries[f].model for f in option.fallback))


def load_model_catalog(env: Mapping[str, str] | None = None) -> ModelCatalog:
    """The catalog from `PY_APP_MODELS` or `PY_APP_MODELS_FILE`; the demo when neither is set.

    Raises `ModelConfigError`, naming the setting, on any misconfiguration.
    """
    env = os.environ if env is None else env
    found = read_models_config(env)
    if found is None:
        return ModelCatalog.demo(delay=demo_delay(env))
    setting, config = found
    entries = []
    for index, entry in enumerate(config.models):
        option = ModelOption(
            id=entry.id,
            display_name=entry.display_name or entry.id,
            provider=entry.provider,
            model_name=entry.model,
            fallback=tuple(entry.fallback),
            price=(
                None
                if entry.price is None
                else Price(input=entry.price.input, output=entry.price.output)
            ),
            base_url=entry.base_url,
            access=(
                None
                if entry.access is None
                else ModelAccess(
                    roles=frozenset(entry.access.roles),
                    emails=frozenset(normalise_email(e) for e in entry.access.users),
                )
            ),
        )
        model = build_model(entry, env, setting=f"{setting} models[{index}]")
        entries.append(CatalogEntry(option=option, model=model))
    return ModelCatalog(entries, default_id=config.default)
