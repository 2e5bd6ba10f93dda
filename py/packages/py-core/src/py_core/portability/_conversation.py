"""A conversation read from an upload, in no one's format yet: what every importer
makes and what `store_conversation` writes.

A conversation is a tree. Before anything is written it is checked whole (every parent
present, no cycle) and put in tree order, so a bad one is refused before it touches the
database and the ids generated for it sort parent first.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from py_core.database.models import MessageRole, MessageStatus, ThreadSource
from py_core.limits import MAX_IMPORT_MESSAGES, MAX_IMPORTED_TEXT


class BadConversation(Exception):
    """One conversation cannot be imported (the rest of the file can)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(kw_only=True)
class ImportedMessage:
    key: str
    """Its id at the source, unique within the conversation."""
    parent_key: str | None
    """Its parent's key; None for a first message."""
    role: MessageRole
    """Who wrote it."""
    text: str
    """Its text, with a short note in place of each part we do not keep."""
    created_at: datetime | None = None
    """When the source says it was written."""
    completed_at: datetime | None = None
    """When a reply ended, when the source says."""
    status: MessageStatus = MessageStatus.COMPLETE
    """How it ended (a source with no such notion: complete)."""
    error: str | None = None
    """Why a failed reply failed."""
    model_id: str | None = None
    """Our catalog id of the model that wrote it (our own format only)."""
    model_name: str | None = None
    """The model's name at the source (`gpt-4o`, `claude-3-5-sonnet`...)."""
    input_tokens: int | None = None
    """Tokens read, where the source says."""
    output_tokens: int | None = None
    """Tokens written, where the source says."""
    model_messages: list[dict[str, Any]] | None = None
    """pydantic-ai messages (our own format); others get them made from the text."""
    skip: bool = False
    """Not a message of ours (a hidden system message, an empty node): left out, its
    children hang on its parent."""


@dataclass(kw_only=True)
class ImportedConversation:
    source: ThreadSource
    """The format it came in."""
    source_id: str
    """Its id at the source: importing it again is skipped."""
    title: str
    """Its title (cut to our limit when stored)."""
    messages: list[ImportedMessage] = field(default_factory=list)
    """Every message of every branch, in any order."""
    active_key: str | None = None
    """The leaf of the branch the source showed; the newest leaf when None."""
    created_at: datetime | None = None
    """When it started, when the source says."""
    updated_at: datetime | None = None
    """Its last activity, when the source says."""
    model_id: str | None = None
    """Our catalog id of its model (our own format only)."""
    instructions: str | None = None
    """Its instructions to the model (our own format only)."""
    archived: bool = False
    """Archived at the source."""
    original_thread_id: str | None = None
    """Our own format: the thread's id where it was exported, so an export imported back
    into the account it came from is skipped."""


@dataclass(frozen=True, kw_only=True)
class OrderedConversation:
    messages: list[ImportedMessage]
    """The kept messages, each after its parent (and siblings by time)."""
    parents: dict[str, str | None]
    """Each kept message's kept parent (a skipped one's place taken by its nearest kept
    ancestor)."""
    active_key: str | None
    """The kept leaf the thread shows."""


def order(conversation: ImportedConversation) -> OrderedConversation:
    """Check the tree and put it in order. `BadConversation` for a missing parent, a
    cycle, a repeated id, or too many messages."""
    messages = conversation.messages
    if len(messages) > MAX_IMPORT_MESSAGES:
        raise BadConversation(f"it has more than {MAX_IMPORT_MESSAGES} messages")
    by_key: dict[str, ImportedMessage] = {}
    for message in messages:
        if message.key in by_key:
            raise BadConversation(f"message {message.key!r} appears twice")
        by_key[message.key] = message
    children: dict[str | None, list[ImportedMessage]] = {}
    for message in messages:
        if message.parent_key is not None and message.parent_key not in by_key:
            raise BadConversation(
                f"message {message.key!r} answers {message.parent_key!r}, which is not in it"
            )
        children.setdefault(message.parent_key, []).append(message)
    # Walk from the roots, always taking the oldest message whose parent is placed: a
    # parent comes before its children, and siblings (versions) in the order written.
    placed: list[ImportedMessage] = []
    heap: list[tuple[float, int, str]] = []
    seq = 0

    def offer(items: list[ImportedMessage]) -> None:
        nonlocal seq
        for item in items:
            when = item.created_at.timestamp() if item.created_at else float("inf")
            heapq.heappush(heap, (when, seq, item.key))
            seq += 1

    offer(children.get(None, []))
    while heap:
        _, _, key = heapq.heappop(heap)
        placed.append(by_key[key])
        offer(children.get(key, []))
    if len(placed) != len(messages):
        # Whatever was never reached hangs off a loop of parents.
        stuck = sorted(set(by_key) - {m.key for m in placed})
        raise BadConversation(f"its messages form a cycle (through {stuck[0]!r})")
    kept_parent: dict[str, str | None] = {}
    nearest: dict[str, str | None] = {}  # each message's nearest kept self-or-ancestor
    kept: list[ImportedMessage] = []
    for message in placed:
        above = nearest[message.parent_key] if message.parent_key is not None else None
        if message.skip:
            nearest[message.key] = above
            continue
        nearest[message.key] = message.key
        kept_parent[message.key] = above
        if len(message.text) > MAX_IMPORTED_TEXT:
            message.text = message.text[:MAX_IMPORTED_TEXT] + "\n\n[cut at import: too long]"
        kept.append(message)
    active = conversation.active_key
    active = nearest[active] if active is not None and active in nearest else None
    if active is None and kept:
        has_child = {p for p in kept_parent.values() if p is not None}
        active = next(m.key for m in reversed(kept) if m.key not in has_child)
    return OrderedConversation(messages=kept, parents=kept_parent, active_key=active)
