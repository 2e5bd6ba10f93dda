"""The operator's ways to make an administrator: `make admin EMAIL=...` (promote, or
create with a one-time password) and `ADMIN_EMAILS` at start-up. No web request can."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import subprocess
from pathlib import Path

import pytest

from py_app.settings import Settings

from .harness import PASSWORD, assert_error, serve_settings, sign_up
from .scripted import scripted_catalog

PY_DIR = Path(__file__).resolve().parents[3]


async def make(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """`make <args>` from py/, as an operator types it, on the test's database."""
    env = {**os.environ, "DATABASE_URL": database_url}
    return await asyncio.to_thread(
        subprocess.run,
        ["make", "--no-print-directory", *args],
        cwd=PY_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


async def test_make_admin_promotes_or_creates(app_settings: Settings) -> None:
    catalog = scripted_catalog(0.01)
    async with serve_settings(app_settings, catalog=catalog) as live:
        async with live.client() as client:
            ada = await sign_up(client, "ada@example.com")
            assert_error(await client.get("/api/v1/admin/users"), 403, "forbidden")

            promoted = await make(
                "admin", "EMAIL=ada@example.com", database_url=app_settings.database_url
            )
            assert promoted.returncode == 0, promoted.stderr
            assert "ada@example.com is an administrator now" in promoted.stdout
            # At once, in the running app, with the password she had.
            users = (await client.get("/api/v1/admin/users")).json()["items"]
            assert [u["id"] for u in users] == [ada.id]

            created = await make(
                "admin", "EMAIL=Ops@Example.com", database_url=app_settings.database_url
            )
            assert created.returncode == 0, created.stderr
            match = re.search(r"One-time password: (\S+)", created.stdout)
            assert match, created.stdout
        async with live.client() as ops:
            login = {"email": "ops@example.com", "password": match.group(1)}
            response = await ops.post("/api/v1/auth/login", json=login)
            assert response.status_code == 200, response.text
            assert (await ops.get("/api/v1/admin/users")).status_code == 200
            # The one-time password must be changed before any page but Settings.
            assert (await ops.get("/threads")).headers["location"] == "/settings#password-heading"
            audit = (await ops.get("/api/v1/admin/audit")).json()["items"]
            assert [(e["action"], e["actor_name"], e["target_name"]) for e in audit] == [
                ("user.created", "command line", "ops@example.com"),
                ("user.role_changed", "command line", "ada@example.com"),
            ]

    usage = await make("admin", database_url=app_settings.database_url)
    assert usage.returncode != 0
    assert "usage: make admin EMAIL=" in usage.stdout
    wrong = await make("admin", "EMAIL=not-an-email", database_url=app_settings.database_url)
    assert wrong.returncode != 0
    assert "valid email" in wrong.stderr


async def test_admin_emails_promote_existing_accounts_at_start_up(
    app_settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    catalog = scripted_catalog(0.01)
    async with serve_settings(app_settings, catalog=catalog) as live, live.client() as client:
        await sign_up(client, "ada@example.com")
        cookies = client.cookies
        csrf = client.headers["X-CSRF-Token"]

    restarted = replace_settings(app_settings, admin_emails="ADA@example.com, nobody@example.com")
    with caplog.at_level(logging.WARNING, logger="py_app"):
        async with serve_settings(restarted, catalog=catalog) as live:
            async with live.client(cookies=cookies, headers={"X-CSRF-Token": csrf}) as client:
                users = (await client.get("/api/v1/admin/users")).json()["items"]
                assert [u["role"] for u in users] == ["admin"]
            # Whoever signs up later with a listed email is not made an administrator.
            async with live.client() as late:
                await sign_up(late, "nobody@example.com")
                assert_error(await late.get("/api/v1/admin/users"), 403, "forbidden")
    assert any("nobody@example.com" in r.getMessage() for r in caplog.records)
    async with serve_settings(restarted, catalog=catalog) as live, live.client() as late:
        login = {"email": "nobody@example.com", "password": PASSWORD}
        late.headers["X-CSRF-Token"] = (await late.post("/api/v1/auth/login", json=login)).json()[
            "csrf_token"
        ]
        # Listed and existing at this start: now promoted, recorded once per promotion.
        audit = (await late.get("/api/v1/admin/audit")).json()["items"]
        assert [(e["actor_name"], e["target_name"]) for e in audit] == [
            ("ADMIN_EMAILS", "nobody@example.com"),
            ("ADMIN_EMAILS", "ada@example.com"),
        ]


def replace_settings(settings: Settings, **values: object) -> Settings:
    return Settings(_env_file=None, **{**settings.model_dump(), **values})


def test_admin_emails_are_comma_separated() -> None:
    settings = Settings(_env_file=None, admin_emails=" a@example.com,,b@example.com ")
    assert settings.admin_emails == ("a@example.com", "b@example.com")
    assert Settings(_env_file=None).admin_emails == ()
    with pytest.raises(ValueError, match="registration"):
        Settings(_env_file=None, registration="sometimes")
