"""Model access, budgets and the usage report over HTTP, on both backends: a model a
user may not use is 403 on every path (the picker, both model lists, a thread, a post,
a regenerate, a `/v1` call); a spent budget is 429 `quota_exceeded` with its limit and
reset (`/v1`: the openai client's RateLimitError, code `insufficient_quota`); an
administrator sets access, budgets and overrides (each in the audit log) and reads the
report as JSON and CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest

from py_app.settings import Settings
from py_core.ai_ml import CatalogEntry, ModelCatalog, ModelOption
from py_core.ai_ml.pricing import Price

from .harness import LiveApp, assert_error, new_thread, post, sign_up, wait_for_reply
from .scripted import echo_model
from .test_admin_api import as_admin


@pytest.fixture
def catalog(model_delay: float) -> ModelCatalog:
    return ModelCatalog(
        [
            CatalogEntry(
                option=ModelOption(
                    id="echo",
                    display_name="Echo",
                    model_name="echo-1",
                    price=Price(input=Decimal(1), output=Decimal(2)),
                ),
                model=echo_model(model_delay),
            ),
            CatalogEntry(
                option=ModelOption(id="unpriced", display_name="Unpriced", model_name="echo-2"),
                model=echo_model(model_delay),
            ),
        ],
        default_id="echo",
    )


async def token_of(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/tokens", json={"name": "openai client"})
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def ask(live_app: LiveApp, token: str, model: str) -> None:
    async with openai.AsyncOpenAI(base_url=f"{live_app.base_url}/v1", api_key=token) as client:
        await client.chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Hello words=3"}]
        )


async def test_a_model_kept_from_a_user_is_refused_on_every_path(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    async with live_app.client() as admin:
        await as_admin(admin, app_settings, "root@example.com")
        await sign_up(client, "ada@example.com")
        token = await token_of(client)
        thread = await new_thread(client, model="unpriced")
        turn = await post(client, thread["id"], "Hi words=2")
        reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
        # The administrator keeps `unpriced` for administrators.
        response = await admin.put(
            "/api/v1/admin/models/unpriced/access", json={"everyone": False, "roles": []}
        )
        assert response.status_code == 200, response.text
        assert [m["model_id"] for m in response.json() if not m["everyone"]] == ["unpriced"]
        [entry] = (await admin.get("/api/v1/admin/audit")).json()["items"][:1]
        assert (entry["action"], entry["target_name"]) == ("model.access_changed", "unpriced")
        assert entry["details"] == {"everyone": False, "roles": [], "users": []}

    models = (await client.get("/api/v1/models")).json()
    assert [m["id"] for m in models["items"]] == ["echo"]
    assert models["items"][0]["price"] == {
        "input_per_million_usd": "1",
        "output_per_million_usd": "2",
        "source": "configuration",
    }
    async with openai.AsyncOpenAI(base_url=f"{live_app.base_url}/v1", api_key=token) as v1:
        assert [m.id async for m in v1.models.list()] == ["echo"]
        with pytest.raises(openai.PermissionDeniedError, match="You may not use the model"):
            await v1.models.retrieve("unpriced")
    with pytest.raises(openai.PermissionDeniedError, match="ask an administrator"):
        await ask(live_app, token, "unpriced")
    assert_error(await client.post("/api/v1/threads", json={"model": "unpriced"}), 403)
    refused = await client.post(
        f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"}
    )
    assert_error(refused, 403, "forbidden")
    assert "You may not use the model 'Unpriced'" in refused.json()["error"]["message"]
    again = await client.post(
        f"/api/v1/threads/{thread['id']}/messages/{reply['id']}/regenerate", json={}
    )
    assert_error(again, 403, "forbidden")
    # The thread says so, and the picker does not offer the model.
    page = await client.get(f"/threads/{thread['id']}", headers={"Accept": "text/html"})
    assert 'id="model-blocked"' in page.text
    assert "Unpriced (not available to you)" in page.text
    # Switching the thread to a model they may use lets them go on.
    assert_error(
        await client.patch(f"/api/v1/threads/{thread['id']}", json={"model": "unpriced"}), 403
    )
    switched = await client.patch(f"/api/v1/threads/{thread['id']}", json={"model": "echo"})
    assert switched.status_code == 200, switched.text
    moved = await client.post(f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"})
    assert moved.status_code == 202, moved.text


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"budget_day_tokens": 2000}


async def test_a_spent_budget_is_429_with_its_limit_and_reset(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    token = await token_of(client)
    thread = await new_thread(client)
    # A turn holds its prompt (plus 1,000 for the framing) and 4,096 for its reply: it is
    # admitted while anything of the day remains, then counts its real tokens.
    turn = await post(client, thread["id"], "Hi words=2")
    await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    usage = (await client.get("/api/v1/me/usage")).json()
    [day] = usage["budgets"]
    assert day["period"] == "day"
    assert day["limit"] == {"tokens": 2000, "usd": None}
    assert day["source"] == "configuration"
    assert 0 < day["used_tokens"] < 2000
    assert day["remaining_tokens"] == 2000 - day["used_tokens"]
    assert Decimal(day["used_usd"]) > 0
    assert usage["warning"] is False
    # Spend the rest through /v1: each call is admitted while something of the day
    # remains, then the next one is refused.
    for _ in range(40):
        try:
            await ask(live_app, token, "echo")
        except openai.RateLimitError:
            break
    else:
        pytest.fail("the budget never ran out")
    refused = await client.post(
        f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"}
    )
    assert_error(refused, 429, "quota_exceeded")
    error = refused.json()["error"]
    assert error["limit"] == {"tokens": 2000, "usd": None}
    assert error["period"] == "day"
    resets = datetime.fromisoformat(error["resets_at"])
    midnight = (datetime.now(UTC) + timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    assert resets == midnight
    assert 0 < int(refused.headers["Retry-After"]) <= 86_400
    # The openai client raises its RateLimitError with OpenAI's code, at once (no retry).
    with pytest.raises(openai.RateLimitError) as raised:
        await ask(live_app, token, "echo")
    assert raised.value.code == "insufficient_quota"
    assert raised.value.body["type"] == "insufficient_quota"  # type: ignore[index]
    assert raised.value.response.headers["x-should-retry"] == "false"
    # Streamed too: refused before the stream starts.
    async with openai.AsyncOpenAI(base_url=f"{live_app.base_url}/v1", api_key=token) as v1:
        with pytest.raises(openai.RateLimitError):
            await v1.chat.completions.create(
                model="echo", messages=[{"role": "user", "content": "Hi"}], stream=True
            )
    after = (await client.get("/api/v1/me/usage")).json()
    assert after["warning"] is True
    assert after["budgets"][0]["remaining_tokens"] == 0
    page = await client.get(f"/threads/{thread['id']}", headers={"Accept": "text/html"})
    assert "You have used all of today&#39;s budget" in page.text


async def test_an_administrator_sets_budgets_and_reads_the_report(
    live_app: LiveApp, client: httpx.AsyncClient, app_settings: Settings
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Hi words=2")
    reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    async with live_app.client() as admin:
        await as_admin(admin, app_settings, "root@example.com")
        put = await admin.put(
            "/api/v1/admin/budgets", json={"period": "month", "tokens": 1_000_000, "usd": "5"}
        )
        assert put.status_code == 200, put.text
        put = await admin.put(
            "/api/v1/admin/budgets",
            json={"period": "day", "email": "ADA@example.com", "tokens": 0},
        )
        assert put.status_code == 200, put.text
        assert put.json() == [
            {"email": None, "period": "month", "limit": {"tokens": 1_000_000, "usd": "5"}},
            {"email": "ada@example.com", "period": "day", "limit": {"tokens": 0, "usd": None}},
        ]
        assert_error(
            await admin.put("/api/v1/admin/budgets", json={"period": "day", "email": "x@y.z"}),
            404,
        )
        assert_error(
            await admin.put("/api/v1/admin/budgets", json={"period": "week", "tokens": 1}), 422
        )
        assert_error(
            await admin.put("/api/v1/admin/budgets", json={"period": "day", "tokens": -1}), 422
        )
        today = datetime.now(UTC).date().isoformat()
        report = await admin.get("/api/v1/admin/usage", params={"start": today, "end": today})
        assert report.status_code == 200, report.text
        [row] = report.json()["rows"]
        assert row["email"] == "ada@example.com"
        assert row["model_id"] == "echo"
        assert row["calls"] == 1
        assert row["input_tokens"] == reply["usage"]["input_tokens"]
        assert row["output_tokens"] == reply["usage"]["output_tokens"]
        expected = (Decimal(row["input_tokens"]) * 1 + Decimal(row["output_tokens"]) * 2) / 10**6
        assert Decimal(row["cost_usd"]) == expected
        # The reply itself carries its cost too.
        assert Decimal(reply["usage"]["cost_usd"]) == expected
        as_csv = await admin.get(
            "/api/v1/admin/usage", params={"start": today, "end": today, "format": "csv"}
        )
        assert as_csv.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(as_csv.text)))
        assert lines[0][:4] == ["day", "email", "model", "calls"]
        assert lines[1][:4] == [today, "ada@example.com", "echo", "1"]
        assert Decimal(lines[1][6]) == expected
        backwards = await admin.get(
            "/api/v1/admin/usage", params={"start": today, "end": "2000-01-01"}
        )
        assert_error(backwards, 422, "invalid_input")
        audit = (await admin.get("/api/v1/admin/audit")).json()["items"]
        assert [entry["action"] for entry in audit[:2]] == ["budget.changed", "budget.changed"]
        assert audit[0]["target_name"] == "ada@example.com"
        assert audit[0]["details"] == {"period": "day", "tokens": 0, "usd": None}
        # The override stops Ada's day at once; the default goes back to the configuration.
        refused = await client.post(
            f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"}
        )
        assert_error(refused, 429, "quota_exceeded")
        gone = await admin.delete(
            "/api/v1/admin/budgets", params={"period": "day", "email": "ada@example.com"}
        )
        assert gone.status_code == 204
        allowed = await client.post(
            f"/api/v1/threads/{thread['id']}/messages", json={"content": "Again"}
        )
        assert allowed.status_code == 202, allowed.text
    # Users cannot reach any of it.
    assert_error(await client.get("/api/v1/admin/budgets"), 403, "forbidden")
    assert_error(await client.get("/api/v1/admin/usage?start=2026-01-01&end=2026-01-02"), 403)
