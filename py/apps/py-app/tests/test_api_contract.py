"""What `/openapi.json` says about methods and statuses is what the server does."""

from __future__ import annotations

import re

import httpx

from .harness import assert_error

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


async def test_405_names_every_method_the_path_answers(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    checked = 0
    for path, operations in spec["paths"].items():
        documented = {method.upper() for method in operations}
        refused = next(method for method in METHODS if method not in documented)
        url = re.sub(r"\{[^}]+\}", "0", path)
        response = await client.request(refused, url, headers={"Accept": "application/json"})
        assert_error(response, 405, "method_not_allowed")
        assert set(response.headers["Allow"].split(", ")) == documented, (path, refused)
        checked += 1
    assert checked >= 10
    # A page and a static file too.
    assert (await client.post("/threads")).headers["Allow"] == "GET"
    assert (await client.delete("/static/js/auth.js")).headers["Allow"] == "GET, HEAD"


async def test_v1_documents_the_statuses_it_answers(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    common = {"200", "401", "429", "503"}
    answered = {
        ("/v1/models", "get"): common,
        ("/v1/models/{model_id}", "get"): common | {"404"},
        ("/v1/chat/completions", "post"): common | {"400", "404", "413", "502", "504"},
    }
    for (path, method), statuses in answered.items():
        responses = spec["paths"][path][method]["responses"]
        assert statuses <= set(responses), (path, sorted(responses))
        # FastAPI's 422 is never answered here: an invalid body is OpenAI's 400.
        assert "422" not in responses, path
        for status in set(responses) - {"200"}:
            schema = responses[status]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/OpenAIErrorOut"}, (path, status)
