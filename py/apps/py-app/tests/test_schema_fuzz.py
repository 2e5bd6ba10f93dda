"""Schemathesis over `/openapi.json`: requests generated from the schema for every
operation, as a signed-in browser (session cookie and CSRF header) and as a program
(Bearer token). No answer is a 5xx, and none contradicts the schema (status, content
type, headers, body).

The app runs as its own process (`python -m py_app` on a SQLite file it migrates), since
schemathesis calls it synchronously; limits that a fuzzer would use up are raised.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.config import SchemathesisConfig

from py_app.app import create_app
from py_app.settings import Settings

from .harness import PASSWORD, free_port

WORKSPACE = Path(__file__).resolve().parents[3]
EXAMPLES_PER_OPERATION = 10
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EMAIL = "fuzz@example.com"
START_TIMEOUT = 180
"""Seconds for `python -m py_app` to answer `/readyz` (imports and migrations; slow on a
loaded machine)."""


@dataclass(kw_only=True)
class Served:
    base_url: str
    """Where the app listens."""
    cookie_name: str
    """The session cookie's name."""
    cookie: str
    """A signed-in session (signed in again when a generated call ended it)."""
    csrf_token: str
    """That session's CSRF token."""
    token: str
    """An API token of the same user."""

    def sign_in(self) -> None:
        with httpx.Client(base_url=self.base_url) as client:
            response = client.post(
                "/api/v1/auth/login", json={"email": EMAIL, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            self.cookie = response.cookies[self.cookie_name]
            self.csrf_token = response.json()["csrf_token"]

    def ensure_signed_in(self) -> None:
        with httpx.Client(
            base_url=self.base_url, cookies={self.cookie_name: self.cookie}
        ) as client:
            if client.get("/api/v1/me").status_code == 401:
                self.sign_in()


def _wait_until_ready(process: subprocess.Popen[bytes], base_url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the app exited: {log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{base_url}/readyz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the app did not start: {log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    directory = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite+aiosqlite:///{directory / 'fuzz.db'}",
        "PORT": str(port),
        "LOGIN_LIMIT_PER_ACCOUNT": "1000000",
        "LOGIN_LIMIT_PER_IP": "1000000",
        "REGISTER_LIMIT_PER_IP": "1000000",
        "API_REQUESTS_PER_MINUTE": "1000000",
        "PY_APP_DEMO_DELAY": "0",
        "SHUTDOWN_GRACE_SECONDS": "1",
    }
    for name in ("REDIS_URL", "PY_APP_MODELS", "PY_APP_MODELS_FILE"):
        env.pop(name, None)
    log = directory / "app.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "py_app"],
            cwd=WORKSPACE,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, base_url, log)
        with httpx.Client(base_url=base_url) as client:
            account = {"email": EMAIL, "password": PASSWORD, "display_name": "Fuzz"}
            assert client.post("/api/v1/auth/register", json=account).status_code == 201
        served = Served(
            base_url=base_url, cookie_name="py_app_session", cookie="", csrf_token="", token=""
        )
        served.sign_in()
        with httpx.Client(base_url=base_url, cookies={served.cookie_name: served.cookie}) as client:
            created = client.post(
                "/api/v1/tokens", json={"name": "fuzz"}, headers={"X-CSRF-Token": served.csrf_token}
            )
            served.token = created.json()["token"]
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    # Nothing the fuzzer sent made the app log a failure of its own.
    server_errors = [
        line
        for line in log.read_text(errors="replace").splitlines()
        if "unhandled error" in line or "Traceback" in line
    ]
    assert server_errors == [], "\n".join(server_errors)


# The schema the served app publishes, read from the same code without serving it
# (`create_app` has no side effects), so that each operation is a test of its own.
# (schemathesis' `from_fixture` does not run on pytest 9.)
schema = schemathesis.openapi.from_dict(
    create_app(Settings(_env_file=None)).openapi(),
    config=SchemathesisConfig.from_dict({"phases": {"coverage": {"enabled": False}}}),
)


def _call(case: Case[Any], served: Served, via: Literal["cookie", "token"]) -> None:
    if via == "token":
        case.call_and_validate(
            base_url=served.base_url,
            headers={"Authorization": f"Bearer {served.token}"},
            checks=CHECKS,
        )
        return
    served.ensure_signed_in()
    case.call_and_validate(
        base_url=served.base_url,
        headers={"X-CSRF-Token": served.csrf_token},
        cookies={served.cookie_name: served.cookie},
        checks=CHECKS,
    )


_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@schema.parametrize()
@_SETTINGS
def test_as_a_signed_in_browser(case: Case[Any], served: Served) -> None:
    _call(case, served, "cookie")


@schema.parametrize()
@_SETTINGS
def test_with_an_api_token(case: Case[Any], served: Served) -> None:
    _call(case, served, "token")
