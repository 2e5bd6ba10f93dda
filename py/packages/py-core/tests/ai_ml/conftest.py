"""Fixtures of the ai_ml tests: the fake OpenAI-compatible server on a free local port."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from py_core_testing.models import FakeOpenAI, serve_fake_openai


@pytest.fixture
async def openai_server() -> AsyncIterator[FakeOpenAI]:
    """A running fake OpenAI-compatible server on a free local port."""
    async with serve_fake_openai() as app:
        yield app
