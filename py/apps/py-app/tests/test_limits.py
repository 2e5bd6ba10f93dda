"""Each limit is py-core's: `/openapi.json` (so `/docs`) states it, the API accepts a
value at it and refuses one over it with 422, and the pages' inputs carry it."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from py_core import limits

from .harness import PASSWORD, assert_error, sign_up

# (schema, property, the py-core limit): every length-limited input of the API.
SCHEMA_LIMITS = [
    ("RegisterIn", "email", limits.MAX_EMAIL),
    ("RegisterIn", "password", limits.MAX_PASSWORD),
    ("RegisterIn", "display_name", limits.MAX_DISPLAY_NAME),
    ("LoginIn", "email", limits.MAX_EMAIL),
    ("LoginIn", "password", limits.MAX_PASSWORD),
    ("TokenIn", "name", limits.MAX_TOKEN_NAME),
    ("ThreadIn", "title", limits.MAX_TITLE),
    ("ThreadIn", "model", limits.MAX_MODEL_ID),
    ("ThreadIn", "instructions", limits.MAX_INSTRUCTIONS),
    ("ThreadPatch", "title", limits.MAX_TITLE),
    ("ThreadPatch", "model", limits.MAX_MODEL_ID),
    ("ThreadPatch", "instructions", limits.MAX_INSTRUCTIONS),
    ("py_app__api__schemas__MessageIn", "content", limits.MAX_CONTENT),
    ("ChatCompletionIn", "model", limits.MAX_MODEL_ID),
]


def _branch(found: dict[str, Any], kind: str) -> dict[str, Any]:
    """The `kind` branch of a schema (`Title | None` is an anyOf with null)."""
    for branch in found.get("anyOf", [found]):
        if branch.get("type") == kind:
            return dict(branch)
    raise AssertionError(f"no {kind} in {found}")


def _property(spec: dict[str, Any], schema: str, prop: str) -> dict[str, Any]:
    return dict(spec["components"]["schemas"][schema]["properties"][prop])


async def test_the_openapi_schema_states_py_cores_limits(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    stated = {
        (schema, prop): _branch(_property(spec, schema, prop), "string").get("maxLength")
        for schema, prop, _ in SCHEMA_LIMITS
    }
    assert stated == {(schema, prop): limit for schema, prop, limit in SCHEMA_LIMITS}
    parameters = spec["paths"]["/api/v1/threads"]["get"]["parameters"]
    search = next(p["schema"] for p in parameters if p["name"] == "q")
    assert _branch(search, "string")["maxLength"] == limits.MAX_QUERY
    temperature = _branch(_property(spec, "ChatCompletionIn", "temperature"), "number")
    assert (temperature["minimum"], temperature["maximum"]) == (0, limits.MAX_TEMPERATURE)


async def test_a_value_at_the_limit_is_accepted_and_one_over_is_422(
    client: httpx.AsyncClient,
) -> None:
    at, over = "n" * limits.MAX_DISPLAY_NAME, "n" * (limits.MAX_DISPLAY_NAME + 1)
    body = {"email": "ada@example.com", "password": PASSWORD}
    response = await client.post("/api/v1/auth/register", json={**body, "display_name": over})
    assert_error(response, 422, "invalid_input")
    response = await client.post("/api/v1/auth/register", json={**body, "display_name": at})
    assert response.status_code == 201, response.text
    assert response.json()["display_name"] == at

    await sign_up(client, "bea@example.com")
    name = "t" * limits.MAX_TOKEN_NAME
    assert (await client.post("/api/v1/tokens", json={"name": name})).status_code == 201
    assert_error(await client.post("/api/v1/tokens", json={"name": name + "t"}), 422)

    title = "T" * limits.MAX_TITLE
    response = await client.post("/api/v1/threads", json={"title": title})
    assert response.status_code == 201, response.text
    thread = response.json()
    assert thread["title"] == title
    assert_error(await client.post("/api/v1/threads", json={"title": title + "T"}), 422)
    path = f"/api/v1/threads/{thread['id']}"
    assert_error(await client.patch(path, json={"title": title + "T"}), 422)
    assert (await client.patch(path, json={"title": title[1:] + "x"})).status_code == 200

    instructions = "i" * limits.MAX_INSTRUCTIONS
    assert (await client.patch(path, json={"instructions": instructions})).status_code == 200
    assert_error(await client.patch(path, json={"instructions": instructions + "i"}), 422)

    content = "c" * (limits.MAX_CONTENT - len(" words=1")) + " words=1"
    assert len(content) == limits.MAX_CONTENT
    response = await client.post(f"{path}/messages", json={"content": content + "c"})
    assert_error(response, 422, "invalid_input")
    response = await client.post(f"{path}/messages", json={"content": content})
    assert response.status_code == 202, response.text

    query = "q" * limits.MAX_QUERY
    assert (await client.get("/api/v1/threads", params={"q": query})).status_code == 200
    assert_error(await client.get("/api/v1/threads", params={"q": query + "q"}), 422)


@pytest.mark.parametrize(
    ("path", "field", "limit"),
    [
        ("/signup", "display_name", limits.MAX_DISPLAY_NAME),
        ("/signup", "email", limits.MAX_EMAIL),
        ("/signup", "password", limits.MAX_PASSWORD),
        ("/signin", "email", limits.MAX_EMAIL),
    ],
)
async def test_the_pages_inputs_carry_the_limits(
    client: httpx.AsyncClient, path: str, field: str, limit: int
) -> None:
    page = (await client.get(path)).text
    tag = re.search(rf'<input name="{field}"[^>]*>', page)
    assert tag is not None, page
    assert f'maxlength="{limit}"' in tag.group(0)


async def test_the_tokens_page_input_carries_the_limit(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    page = (await client.get("/settings/tokens")).text
    assert f'maxlength="{limits.MAX_TOKEN_NAME}"' in page
