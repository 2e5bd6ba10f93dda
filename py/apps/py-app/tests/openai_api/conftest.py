"""Fixtures of the OpenAI-compatible API's tests: the app served on a local port with
the scripted models plus a rate-limited one, a signed-in user and their API token."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest
from pydantic_ai.exceptions import ModelHTTPError, ModelRateLimitError

from py_core.ai_ml import CatalogEntry, ModelCatalog, ModelOption
from py_core_testing.models import failing_model

from ..harness import LiveApp, sign_up  # noqa: TID252 (shared app test helpers)
from ..scripted import scripted_catalog  # noqa: TID252 (shared app test helpers)

RETRY_AFTER = 2


def busy_model() -> CatalogEntry:
    error = ModelHTTPError.for_category(
        ModelRateLimitError,
        status_code=429,
        model_name="busy-1",
        headers={"retry-after": str(RETRY_AFTER)},
    )
    return CatalogEntry(
        option=ModelOption(id="busy", model_name="busy-1"),
        model=failing_model(error, model_name="busy-1"),
    )


@pytest.fixture
def catalog(model_delay: float) -> ModelCatalog:
    scripted = scripted_catalog(model_delay)
    entries = [
        CatalogEntry(option=option, model=scripted.build(option.id)) for option in scripted.options
    ]
    return ModelCatalog([*entries, busy_model()], default_id=scripted.default_id)


@dataclass(kw_only=True)
class Caller:
    base_url: str
    """The OpenAI base URL of the served app (`.../v1`)."""
    token: str
    """The user's API token."""
    token_id: str
    """Its id, to revoke it."""
    browser: httpx.AsyncClient
    """The same user signed in with a cookie, to look at what the calls left behind."""


@pytest.fixture
async def caller(live_app: LiveApp, client: httpx.AsyncClient) -> Caller:
    await sign_up(client, "ada@example.com")
    response = await client.post("/api/v1/tokens", json={"name": "openai client"})
    assert response.status_code == 201, response.text
    created = response.json()
    return Caller(
        base_url=f"{live_app.base_url}/v1",
        token=created["token"],
        token_id=created["id"],
        browser=client,
    )
