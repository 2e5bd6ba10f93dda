"""Threads and messages over HTTP: CRUD, pages, search, turns, stop, and ownership."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from .harness import LiveApp, assert_error, new_thread, post, sign_up, wait_for_reply
from .scripted import echo_reply


async def test_models_lists_the_catalog(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    body = (await client.get("/api/v1/models")).json()
    assert body["default"] == "echo"
    assert [m["id"] for m in body["items"]] == ["echo", "broken"]
    assert body["items"][0] == {
        "id": "echo",
        "display_name": "Echo",
        "provider": "custom",
        "is_demo": False,
        "is_default": True,
        "price": None,  # a scripted model: its price is unknown
    }


async def test_thread_crud(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client, title="  Plans   for  May ", instructions="Be brief.")
    assert thread["title"] == "Plans for May"
    assert thread["model"] == "echo"
    assert thread["instructions"] == "Be brief."
    assert thread["archived"] is False
    assert (await client.get(f"/api/v1/threads/{thread['id']}")).json() == thread

    response = await client.patch(
        f"/api/v1/threads/{thread['id']}", json={"title": "June", "model": "broken"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "June"
    assert response.json()["model"] == "broken"
    archived = (
        await client.patch(f"/api/v1/threads/{thread['id']}", json={"archived": True})
    ).json()
    assert archived["archived"] is True
    assert archived["title"] == "June"

    listed = (await client.get("/api/v1/threads", params={"status": "archived"})).json()
    assert [t["id"] for t in listed["items"]] == [thread["id"]]
    assert (await client.get("/api/v1/threads", params={"status": "active"})).json()["items"] == []

    assert (await client.delete(f"/api/v1/threads/{thread['id']}")).status_code == 204
    assert_error(await client.get(f"/api/v1/threads/{thread['id']}"), 404, "not_found")
    assert_error(await client.delete(f"/api/v1/threads/{thread['id']}"), 404, "not_found")


async def test_thread_validation(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    assert_error(await client.post("/api/v1/threads", json={"model": "gpt-9"}), 422)
    assert_error(await client.post("/api/v1/threads", json={"title": "x" * 300}), 422)
    assert_error(await client.post("/api/v1/threads", json={"title": "   "}), 422)
    assert_error(await client.post("/api/v1/threads", json={"colour": "red"}), 422)
    thread = await new_thread(client)
    assert thread["title"] == "New chat"
    response = await client.patch(f"/api/v1/threads/{thread['id']}", json={"archived": "maybe"})
    assert_error(response, 422, "invalid_input")
    assert_error(await client.get("/api/v1/threads", params={"limit": 0}), 422)
    assert_error(await client.get("/api/v1/threads", params={"limit": 101}), 422)
    assert_error(await client.get("/api/v1/threads", params={"cursor": "garbage!"}), 422)
    assert_error(await client.get("/api/v1/threads", params={"status": "gone"}), 422)
    assert_error(await client.get("/api/v1/threads", params={"q": ""}), 422)


async def test_threads_page_by_cursor_visits_each_once(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    made = [(await new_thread(client, title=f"t{i}"))["id"] for i in range(5)]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/threads", params=params)).json()
        seen += [t["id"] for t in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


async def test_search_finds_titles_and_message_text(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    titled = await new_thread(client, title="Holiday in Lisbon")
    talked = await new_thread(client, title="Other")
    turn = await post(client, talked["id"], "pastel de nata recipe words=3")
    await wait_for_reply(client, talked["id"], turn["assistant_message"]["id"])
    found = (await client.get("/api/v1/threads", params={"q": "lisbon"})).json()
    assert [t["id"] for t in found["items"]] == [titled["id"]]
    assert found["next_cursor"] is None
    found = (await client.get("/api/v1/threads", params={"q": "nata"})).json()
    assert [t["id"] for t in found["items"]] == [talked["id"]]


async def test_a_turn_streams_to_completion(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Hello there words=5")
    assert turn["user_message"]["text"] == "Hello there words=5"
    assert turn["user_message"]["status"] == "complete"
    assert turn["assistant_message"]["status"] == "pending"
    reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    assert reply["status"] == "complete"
    assert reply["text"] == echo_reply("Hello there words=5")
    # The model's id, as the thread and `GET /api/v1/models` name it; the provider's
    # name beside it.
    assert (reply["model"], reply["model_name"]) == ("echo", "echo-1")
    assert reply["model"] == thread["model"]
    assert reply["usage"]["output_tokens"] > 0
    messages = (await client.get(f"/api/v1/threads/{thread['id']}/messages")).json()
    assert [m["role"] for m in messages["items"]] == ["user", "assistant"]
    assert messages["next_cursor"] is None


async def test_messages_page_backwards(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    ids: list[str] = []
    for index in range(3):
        turn = await post(client, thread["id"], f"message {index} words=1")
        await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
        ids += [turn["user_message"]["id"], turn["assistant_message"]["id"]]
    seen: list[str] = []
    before = None
    while True:
        params: dict[str, str | int] = {"limit": 4}
        if before:
            params["before"] = before
        page = (await client.get(f"/api/v1/threads/{thread['id']}/messages", params=params)).json()
        seen = [m["id"] for m in page["items"]] + seen
        before = page["next_cursor"]
        if before is None:
            break
    assert seen == ids
    response = await client.get(f"/api/v1/threads/{thread['id']}/messages?before=%%%")
    assert_error(response, 422)


@pytest.mark.parametrize("model_delay", [0.05])
async def test_one_turn_at_a_time_and_stop(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "Long answer please words=200")
    reply_id = turn["assistant_message"]["id"]
    response = await client.post(
        f"/api/v1/threads/{thread['id']}/messages", json={"content": "and another"}
    )
    assert_error(response, 409, "conflict")
    await asyncio.sleep(0.5)
    response = await client.post(f"/api/v1/threads/{thread['id']}/messages/{reply_id}/cancel")
    assert response.status_code == 200
    reply = await wait_for_reply(client, thread["id"], reply_id)
    assert reply["status"] == "cancelled"
    assert reply["text"]
    assert echo_reply("Long answer please words=200").startswith(reply["text"])
    assert len(reply["text"]) < len(echo_reply("Long answer please words=200"))
    # Stopping twice is not an error; a user message cannot be stopped.
    again = await client.post(f"/api/v1/threads/{thread['id']}/messages/{reply_id}/cancel")
    assert again.json()["status"] == "cancelled"
    user_message = turn["user_message"]["id"]
    response = await client.post(f"/api/v1/threads/{thread['id']}/messages/{user_message}/cancel")
    assert_error(response, 422)
    # The thread takes a new turn once the reply ended.
    await post(client, thread["id"], "next words=1")


async def test_a_failing_model_gives_a_readable_failure(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client, model="broken")
    turn = await post(client, thread["id"], "hello")
    reply = await wait_for_reply(client, thread["id"], turn["assistant_message"]["id"])
    assert reply["status"] == "failed"
    assert reply["error"]
    assert "Traceback" not in reply["error"]


async def test_message_validation(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    url = f"/api/v1/threads/{thread['id']}/messages"
    assert_error(await client.post(url, json={"content": "   "}), 422, "invalid_input")
    assert_error(await client.post(url, json={"content": "x" * 40_000}), 422, "invalid_input")
    assert_error(await client.post(url, json={}), 422, "invalid_input")
    assert_error(await client.post(url, json={"content": 12}), 422, "invalid_input")
    await client.patch(f"/api/v1/threads/{thread['id']}", json={"archived": True})
    assert_error(await client.post(url, json={"content": "hi"}), 409, "conflict")


async def test_another_users_threads_and_messages_are_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    turn = await post(client, thread["id"], "secret words=2")
    reply_id = turn["assistant_message"]["id"]
    await wait_for_reply(client, thread["id"], reply_id)

    await sign_up(other_client, "eve@example.com")
    base = f"/api/v1/threads/{thread['id']}"
    attempts = [
        await other_client.get(base),
        await other_client.patch(base, json={"title": "mine now"}),
        await other_client.delete(base),
        await other_client.get(f"{base}/messages"),
        await other_client.post(f"{base}/messages", json={"content": "hi"}),
        await other_client.post(f"{base}/messages/{reply_id}/cancel"),
        await other_client.get(f"{base}/events"),
    ]
    for response in attempts:
        assert_error(response, 404, "not_found")
    assert (await other_client.get("/api/v1/threads")).json()["items"] == []
    assert (await other_client.get("/api/v1/threads", params={"q": "secret"})).json()["items"] == []
    # Eve's own thread cannot reach Ada's message either.
    own = await new_thread(other_client)
    response = await other_client.post(f"/api/v1/threads/{own['id']}/messages/{reply_id}/cancel")
    assert_error(response, 404)
    # And Ada still has everything.
    assert (await client.get(base)).status_code == 200
    assert len((await client.get(f"{base}/messages")).json()["items"]) == 2


async def test_thread_routes_need_auth_and_csrf(
    live_app: LiveApp, client: httpx.AsyncClient
) -> None:
    account = await sign_up(client, "ada@example.com")
    thread = await new_thread(client)
    base = f"/api/v1/threads/{thread['id']}"
    async with live_app.client() as anonymous:
        for method, url in [
            ("GET", "/api/v1/models"),
            ("GET", "/api/v1/threads"),
            ("POST", "/api/v1/threads"),
            ("GET", base),
            ("PATCH", base),
            ("DELETE", base),
            ("GET", f"{base}/messages"),
            ("POST", f"{base}/messages"),
            ("POST", f"{base}/messages/x/cancel"),
            ("GET", f"{base}/events"),
        ]:
            assert_error(await anonymous.request(method, url, json={}), 401, "unauthenticated")
    del client.headers["X-CSRF-Token"]
    for method, url, body in [
        ("POST", "/api/v1/threads", {}),
        ("PATCH", base, {"title": "x"}),
        ("DELETE", base, None),
        ("POST", f"{base}/messages", {"content": "hi"}),
        ("POST", f"{base}/messages/x/cancel", None),
    ]:
        response = await client.request(method, url, json=body)
        assert_error(response, 403, "csrf_failed")
    client.headers["X-CSRF-Token"] = account.csrf_token
    assert (await client.get(base)).status_code == 200
