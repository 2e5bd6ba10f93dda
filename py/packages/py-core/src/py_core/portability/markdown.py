"""A thread as Markdown: the branch it shows, to read or to keep."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from py_core.database.models import Message, MessageRole, MessageStatus, Thread

_WHO = {MessageRole.USER: "You", MessageRole.ASSISTANT: "Assistant", MessageRole.SYSTEM: "System"}


def thread_markdown(thread: Thread, branch: Iterable[Message]) -> str:
    """The title, its dates, then each message of `branch` (oldest first) under a
    heading naming who wrote it, when, and for a reply the model."""
    lines = [
        f"# {thread.title}",
        "",
        f"Started {_when(thread.created_at)} · last active {_when(thread.last_activity_at)}",
    ]
    if thread.source is not None:
        lines.append(f"Imported from {thread.source.value}")
    for message in branch:
        heading = f"## {_WHO[message.role]} · {_when(message.created_at)}"
        if message.role is MessageRole.ASSISTANT and (message.model_name or message.model_id):
            heading += f" · {message.model_name or message.model_id}"
        lines += ["", heading, "", message.text.rstrip() or "*(empty)*"]
        if message.status is not MessageStatus.COMPLETE:
            detail = f": {message.error}" if message.error else ""
            lines += ["", f"*({message.status.value}{detail})*"]
    return "\n".join(lines) + "\n"


def _when(value: datetime) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC")
