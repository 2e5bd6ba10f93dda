"""Exports and imports over HTTP: one thread as a file, the account as a zip, imports
with a report; bad files named; another user's thread or job is 404."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import httpx
import pytest

from py_app.settings import Settings
from py_core.ai_ml import ModelCatalog

from .harness import PASSWORD, assert_error, new_thread, serve_settings, sign_up, wait_for_reply


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    return {"data_dir": tmp_path / "data", "max_import_bytes": 400_000}


def _chatgpt(conversation_id: str, title: str) -> dict[str, Any]:
    def node(key: str, parent: str | None, role: str | None, text: str, t: int) -> dict[str, Any]:
        message = None
        if role is not None:
            message = {
                "id": key,
                "author": {"role": role},
                "create_time": 1_730_000_000 + t,
                "content": {"content_type": "text", "parts": [text]},
                "metadata": {"model_slug": "gpt-4o"} if role == "assistant" else {},
            }
        return {"id": key, "parent": parent, "children": [], "message": message}

    mapping = {
        "root": node("root", None, None, "", 0),
        "q": node("q", "root", "user", f"Question of {title}", 1),
        "a1": node("a1", "q", "assistant", "First answer", 2),
        "a2": node("a2", "q", "assistant", "Second answer", 3),
    }
    return {
        "title": title,
        "create_time": 1_730_000_000,
        "update_time": 1_730_000_003,
        "mapping": mapping,
        "current_node": "a1",
        "conversation_id": conversation_id,
    }


async def _upload(client: httpx.AsyncClient, name: str, data: bytes) -> httpx.Response:
    # The multipart body built first and sent in one piece: a body streamed in chunks
    # may still be on its way when a 413 closes the connection.
    request = httpx.Request("POST", "http://x/", files={"file": (name, data)})
    return await client.post(
        "/api/v1/imports",
        content=request.read(),
        headers={"Content-Type": request.headers["Content-Type"]},
    )


async def _finished(client: httpx.AsyncClient, path: str) -> dict[str, Any]:
    for _ in range(200):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        job: dict[str, Any] = response.json()
        if job["status"] not in ("queued", "running"):
            return job
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not finish")


async def _turn(client: httpx.AsyncClient, thread_id: str, content: str) -> None:
    response = await client.post(f"/api/v1/threads/{thread_id}/messages", json={"content": content})
    assert response.status_code == 202, response.text
    await wait_for_reply(client, thread_id, response.json()["assistant_message"]["id"])


async def test_one_thread_as_markdown_and_json(live_app: Any) -> None:
    async with live_app.client() as ada, live_app.client() as bob:
        await sign_up(ada, "ada@example.com")
        await sign_up(bob, "bob@example.com")
        thread = await new_thread(ada, title="Trip to Lisbon")
        await _turn(ada, thread["id"], "Where to stay?")
        response = await ada.get(f"/api/v1/threads/{thread['id']}/export?format=markdown")
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/markdown")
        assert 'filename="trip-to-lisbon.md"' in response.headers["content-disposition"]
        text = response.text
        assert text.startswith("# Trip to Lisbon\n")
        assert "## You · " in text
        assert "Where to stay?" in text
        response = await ada.get(f"/api/v1/threads/{thread['id']}/export?format=json")
        document = response.json()
        assert (document["format"], document["version"]) == ("py-app.thread", 1)
        assert [m["role"] for m in document["messages"]] == ["user", "assistant"]
        assert document["thread"]["active_leaf_id"] == document["messages"][1]["id"]
        assert document["messages"][1]["usage"]["output_tokens"] > 0
        # Not Bob's: 404, as if it did not exist. A format we do not write: 422.
        assert_error(await bob.get(f"/api/v1/threads/{thread['id']}/export"), 404, "not_found")
        assert_error(await ada.get(f"/api/v1/threads/{thread['id']}/export?format=pdf"), 422)


async def test_import_reports_and_is_idempotent(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    broken = _chatgpt("c-3", "Broken")
    broken["mapping"]["a2"]["parent"] = "gone"
    data = json.dumps([_chatgpt("c-1", "One"), _chatgpt("c-2", "Two"), broken]).encode()
    response = await _upload(client, "conversations.json", data)
    assert response.status_code == 202, response.text
    job = await _finished(client, f"/api/v1/imports/{response.json()['id']}")
    assert job["status"] == "complete"
    assert (job["done"], job["total"], job["file_name"]) == (3, 3, "conversations.json")
    report = job["report"]
    assert (report["imported"], report["skipped"], report["failed"]) == (2, 0, 1)
    failed = [e for e in report["entries"] if e["outcome"] == "failed"]
    assert failed == [
        {
            "index": 2,
            "title": "Broken",
            "outcome": "failed",
            "reason": "message 'a2' answers 'gone', which is not in it",
        }
    ]
    threads = (await client.get("/api/v1/threads")).json()["items"]
    assert sorted(t["title"] for t in threads) == ["One", "Two"]
    assert {t["source"] for t in threads} == {"chatgpt"}
    # Branches came along: the shown one is current_node's, its sibling is there.
    one = next(t for t in threads if t["title"] == "One")
    shown = (await client.get(f"/api/v1/threads/{one['id']}/messages")).json()["items"]
    assert [m["text"] for m in shown] == ["Question of One", "First answer"]
    assert shown[1]["siblings"]["count"] == 2
    # Searchable.
    found = (await client.get("/api/v1/threads", params={"q": "Second answer"})).json()
    assert {t["title"] for t in found["items"]} == {"One", "Two"}
    # The same file again: nothing new.
    again = await _upload(client, "conversations.json", data)
    report = (await _finished(client, f"/api/v1/imports/{again.json()['id']}"))["report"]
    assert (report["imported"], report["skipped"], report["failed"]) == (0, 2, 1)
    assert len((await client.get("/api/v1/threads")).json()["items"]) == 2
    listed = (await client.get("/api/v1/imports")).json()["items"]
    assert [j["id"] for j in listed] == [again.json()["id"], response.json()["id"]]


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"just some text", 422, "unsupported_format"),
        (b'[{"not": "a conversation"}]', 422, "unsupported_format"),
        (b'[{"title": "x", "mapping": {}, "current_node": null}, {"tit', 422, "truncated_file"),
        (b"PK\x03\x04 cut", 422, "truncated_file"),
        (_zip({"conversations.json": b"[" + b" " * 3_000_000 + b"]"}), 422, "zip_bomb"),
        (b"[" + b" " * 500_000 + b"]", 413, "too_large"),
    ],
    ids=["text", "unknown-json", "truncated", "truncated-zip", "zip-bomb", "over-the-limit"],
)
async def test_bad_files_are_named(
    client: httpx.AsyncClient, data: bytes, status: int, code: str
) -> None:
    await sign_up(client, "ada@example.com")
    assert_error(await _upload(client, "upload.json", data), status, code)
    assert (await client.get("/api/v1/imports")).json()["items"] == []


async def test_a_request_without_a_file(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    assert_error(await client.post("/api/v1/imports", json={"file": "x"}), 422)
    assert_error(await client.post("/api/v1/imports", data={"other": "x"}), 422)


async def test_export_everything_then_import_it_elsewhere(live_app: Any) -> None:
    async with live_app.client() as ada, live_app.client() as bob:
        await sign_up(ada, "ada@example.com")
        await sign_up(bob, "bob@example.com")
        upload = await _upload(ada, "c.json", json.dumps([_chatgpt("c-1", "One")]).encode())
        await _finished(ada, f"/api/v1/imports/{upload.json()['id']}")
        thread = await new_thread(ada, title="Native")
        await _turn(ada, thread["id"], "Hello there")
        started = await ada.post("/api/v1/exports")
        assert started.status_code == 202, started.text
        path = f"/api/v1/exports/{started.json()['id']}"
        job = await _finished(ada, path)
        assert job["status"] == "complete"
        assert job["report"]["threads"] == 2
        assert job["download_url"] == f"{path}/download"
        # Bob sees none of it.
        for url in (path, f"{path}/download"):
            assert_error(await bob.get(url), 404, "not_found")
        assert_error(await bob.post(f"{path}/cancel"), 404, "not_found")
        assert_error(await bob.get(f"/api/v1/imports/{upload.json()['id']}"), 404)
        assert_error(await ada.get(f"/api/v1/imports/{started.json()['id']}"), 404)
        download = await ada.get(f"{path}/download")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/zip"
        with zipfile.ZipFile(io.BytesIO(download.content)) as archive:
            assert sorted(archive.namelist())[:2] == ["account.json", "index.json"]
        # Bob brings Ada's zip in: the same threads, the same branches.
        moved = await bob.post(
            "/api/v1/imports", files={"file": ("export.zip", download.content, "application/zip")}
        )
        assert moved.status_code == 202, moved.text
        report = (await _finished(bob, f"/api/v1/imports/{moved.json()['id']}"))["report"]
        assert report["imported"] == 2
        theirs = (await bob.get("/api/v1/threads")).json()["items"]
        assert sorted((t["title"], t["source"]) for t in theirs) == [
            ("Native", "py-app"),
            ("One", "chatgpt"),
        ]
        native = next(t for t in theirs if t["title"] == "Native")
        shown = (await bob.get(f"/api/v1/threads/{native['id']}/messages")).json()["items"]
        assert shown[0]["text"] == "Hello there"
        # Into Ada's own account it is recognised: nothing new.
        back = await ada.post("/api/v1/imports", files={"file": ("e.zip", download.content)})
        report = (await _finished(ada, f"/api/v1/imports/{back.json()['id']}"))["report"]
        assert (report["imported"], report["skipped"]) == (0, 2)


async def test_cancel_and_unknown_ids(client: httpx.AsyncClient) -> None:
    await sign_up(client, "ada@example.com")
    assert_error(await client.get("/api/v1/exports/not-an-id!"), 404)
    assert_error(await client.get("/api/v1/exports/0190f5e4-0000-7000-8000-000000000000"), 404)
    started = (await client.post("/api/v1/exports")).json()
    cancelled = await client.post(f"/api/v1/exports/{started['id']}/cancel")
    assert cancelled.status_code == 200
    assert cancelled.json()["status"] in ("cancelled", "complete")
    if cancelled.json()["status"] == "cancelled":
        assert_error(await client.get(f"/api/v1/exports/{started['id']}/download"), 409)


async def test_an_import_survives_a_restart(app_settings: Settings, catalog: ModelCatalog) -> None:
    """The process stops mid-import; the next one to start finishes the job."""
    conversations = [_chatgpt(f"c-{i}", f"Chat {i}") for i in range(250)]
    async with serve_settings(app_settings, catalog=catalog) as first, first.client() as client:
        await sign_up(client, "ada@example.com")
        started = await _upload(client, "c.json", json.dumps(conversations).encode())
        assert started.status_code == 202, started.text
        path = f"/api/v1/imports/{started.json()['id']}"
        for _ in range(500):
            seen = (await client.get(path)).json()
            if seen["done"] >= 2:
                break
            await asyncio.sleep(0.02)
        assert seen["status"] == "running"  # stopped in the middle
        assert seen["done"] < 250
    async with serve_settings(app_settings, catalog=catalog) as second, second.client() as client:
        login = {"email": "ada@example.com", "password": PASSWORD}
        response = await client.post("/api/v1/auth/login", json=login)
        client.headers["X-CSRF-Token"] = response.json()["csrf_token"]
        job = await _finished(client, path)
        assert job["status"] == "complete"
        assert (job["report"]["imported"], job["report"]["failed"]) == (250, 0)
        page = (await client.get("/api/v1/threads", params={"limit": 100})).json()
        assert len(page["items"]) == 100
        assert page["next_cursor"] is not None


async def test_an_upload_without_credentials_stores_nothing(
    live_app: Any, app_settings: Settings
) -> None:
    data = json.dumps([_chatgpt("c-1", "One")]).encode()
    async with live_app.client() as stranger:
        assert_error(await _upload(stranger, "c.json", data), 401, "unauthenticated")
    async with live_app.client() as ada:
        await sign_up(ada, "ada@example.com")
        del ada.headers["X-CSRF-Token"]
        assert_error(await _upload(ada, "c.json", data), 403, "csrf_failed")
    uploads = app_settings.data_dir / "imports"
    assert not uploads.exists() or not list(uploads.iterdir())
