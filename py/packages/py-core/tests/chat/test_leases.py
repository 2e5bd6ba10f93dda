"""One lease length for every unfinished reply, queued or streaming."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from py_core.chat._settings import LEASE_SECONDS
from py_core.chat.recovery import recover_expired
from py_core.database.models import MessageStatus
from py_core.database.utils import utcnow

from .runner_stack import LOGGER, Stack


@pytest.fixture
async def stack(backend: str, db_url: str) -> AsyncIterator[Stack]:
    stack = await Stack.build(backend, db_url)
    yield stack
    await stack.close()


async def test_a_reply_never_started_is_recovered_after_one_lease(stack: Stack) -> None:
    # No runner: the process that posted it died before it could renew anything.
    user = await stack.user()
    thread = await stack.thread(user, "m")
    reply = await stack.post(user, thread)
    assert (await stack.load(reply.id)).status is MessageStatus.PENDING
    within = utcnow() + timedelta(seconds=LEASE_SECONDS - 5)
    assert await recover_expired(stack.factory, logger=LOGGER, now=within) == []
    after = utcnow() + timedelta(seconds=LEASE_SECONDS + 1)
    assert await recover_expired(stack.factory, logger=LOGGER, now=after) == [reply.id]
    done = await stack.load(reply.id)
    assert done.status is MessageStatus.FAILED
    assert (done.error or "").startswith("interrupted")
