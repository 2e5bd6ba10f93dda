"""Branches over HTTP: edit (post with a parent), regenerate, switch, the branch shown."""

from __future__ import annotations

from typing import Any

import httpx

from .harness import assert_error, new_thread, post, read_events, sign_up, wait_for_reply


async def _turn(client: httpx.AsyncClient, thread_id: str, content: str, **body: Any) -> str:
    """Post and wait for the reply; the reply's id."""
    response = await client.post(
        f"/api/v1/threads/{thread_id}/messages", json={"content": content, **body}
    )
    assert response.status_code == 202, response.text
    reply = response.json()["assistant_message"]
    await wait_for_reply(client, thread_id, reply["id"])
    return str(reply["id"])


async def _shown(client: httpx.AsyncClient, thread_id: str) -> list[dict[str, Any]]:
    response = await client.get(f"/api/v1/threads/{thread_id}/messages")
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


async def test_edit_regenerate_and_switch(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = (await new_thread(client))["id"]
    first = await _turn(client, thread, "one")
    await _turn(client, thread, "two")
    edited = await _turn(client, thread, "two, edited", parent_id=first)

    shown = await _shown(client, thread)
    assert [m["text"].split("\n")[0] for m in shown[::2]] == ["one", "two, edited"]
    assert [m["parent_id"] for m in shown[1:]] == [m["id"] for m in shown[:-1]]
    assert shown[0]["parent_id"] is None
    assert shown[2]["siblings"]["index"] == 1
    assert shown[2]["siblings"]["count"] == 2
    assert shown[-1]["id"] == edited

    response = await client.post(f"/api/v1/threads/{thread}/messages/{edited}/regenerate")
    assert response.status_code == 202, response.text
    again = response.json()
    assert again["status"] == "pending"
    assert again["parent_id"] == shown[2]["id"]
    await wait_for_reply(client, thread, again["id"])
    shown = await _shown(client, thread)
    assert shown[-1]["id"] == again["id"]
    assert shown[-1]["siblings"] == {"index": 1, "count": 2, "ids": [edited, again["id"]]}

    # Back to the first "two": its branch is shown again, and the other tabs hear it.
    first_two = shown[2]["siblings"]["ids"][0]
    switched = await client.put(f"/api/v1/threads/{thread}/active", json={"message_id": first_two})
    assert switched.status_code == 200, switched.text
    leaf = switched.json()["active_leaf_id"]
    assert [m["id"] for m in await _shown(client, thread)][-1] == leaf
    assert (await _shown(client, thread))[2]["id"] == first_two
    events = await read_events(
        client,
        thread,
        stop=lambda e: e.event == "thread.updated" and e.data["active_leaf_id"] == leaf,
    )
    assert events[-1].data["active_leaf_id"] == leaf


async def test_editing_the_first_message_with_a_null_parent(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = (await new_thread(client))["id"]
    await _turn(client, thread, "first")
    await _turn(client, thread, "first, again", parent_id=None)
    shown = await _shown(client, thread)
    assert len(shown) == 2
    assert shown[0]["parent_id"] is None
    assert shown[0]["siblings"]["count"] == 2


async def test_bad_branch_requests(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = (await new_thread(client))["id"]
    other = (await new_thread(client))["id"]
    reply = await _turn(client, thread, "one")
    elsewhere = await _turn(client, other, "elsewhere")
    question = (await _shown(client, thread))[0]["id"]
    base = f"/api/v1/threads/{thread}"

    for parent in (elsewhere, "nope", "0" * 36):
        body = {"content": "x", "parent_id": parent}
        assert_error(await client.post(f"{base}/messages", json=body), 404, "not_found")
    body = {"content": "x", "parent_id": question}
    assert_error(await client.post(f"{base}/messages", json=body), 422, "invalid_input")
    assert_error(await client.post(f"{base}/messages/{question}/regenerate"), 422, "invalid_input")
    assert_error(
        await client.post(f"{base}/messages/{reply}/regenerate", json={"model": "gpt-9"}), 422
    )
    assert_error(await client.post(f"{base}/messages/{elsewhere}/regenerate"), 404, "not_found")
    assert_error(await client.put(f"{base}/active", json={"message_id": elsewhere}), 404)
    assert_error(await client.put(f"{base}/active", json={}), 422)
    # One reply at a time per thread, regenerations included.
    await post(client, thread, "and another")
    assert_error(await client.post(f"{base}/messages/{reply}/regenerate"), 409, "conflict")


async def test_another_users_branches_are_404(
    client: httpx.AsyncClient, other_client: httpx.AsyncClient
) -> None:
    await sign_up(client, "ada@example.com")
    thread = (await new_thread(client))["id"]
    reply = await _turn(client, thread, "one")
    await sign_up(other_client, "eve@example.com")
    base = f"/api/v1/threads/{thread}"
    for response in (
        await other_client.post(f"{base}/messages/{reply}/regenerate"),
        await other_client.put(f"{base}/active", json={"message_id": reply}),
        await other_client.post(f"{base}/messages", json={"content": "x", "parent_id": reply}),
    ):
        assert_error(response, 404, "not_found")


async def test_search_says_which_message_matched(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    thread = (await new_thread(client, title="Travel"))["id"]
    first = await _turn(client, thread, "trains to Porto")
    await _turn(client, thread, "zeppelins to Porto", parent_id=None)
    await client.put(f"/api/v1/threads/{thread}/active", json={"message_id": first})
    (hit,) = (await client.get("/api/v1/threads", params={"q": "zeppelins"})).json()["items"]
    assert hit["id"] == thread
    matched = hit["matched_message_id"]
    assert matched not in [m["id"] for m in await _shown(client, thread)]
    await client.put(f"/api/v1/threads/{thread}/active", json={"message_id": matched})
    assert matched in [m["id"] for m in await _shown(client, thread)]
    (by_title,) = (await client.get("/api/v1/threads", params={"q": "travel"})).json()["items"]
    assert by_title["matched_message_id"] is None
