"""Chat: threads, messages, turns, search, and the runner that writes the replies.

Every operation takes the acting user; another user's thread or message is
`NotFound`, never `Forbidden`.
"""

from py_core.chat._settings import DEFAULT_MAX_CONCURRENT
from py_core.chat.messages import ListMessages, get_message, list_messages
from py_core.chat.runner import GenerationRunner, RunnerSettings
from py_core.chat.search import SearchThreads, search_threads
from py_core.chat.threads import (
    CreateThread,
    DeleteThread,
    ListThreads,
    Page,
    UpdateThread,
    create_thread,
    delete_thread,
    get_thread,
    list_threads,
    update_thread,
)
from py_core.chat.turns import CancelTurn, PostedTurn, PostMessage, cancel_turn, post_message

__all__ = [
    "DEFAULT_MAX_CONCURRENT",
    "CancelTurn",
    "CreateThread",
    "DeleteThread",
    "GenerationRunner",
    "ListMessages",
    "ListThreads",
    "Page",
    "PostMessage",
    "PostedTurn",
    "RunnerSettings",
    "SearchThreads",
    "UpdateThread",
    "cancel_turn",
    "create_thread",
    "delete_thread",
    "get_message",
    "get_thread",
    "list_messages",
    "list_threads",
    "post_message",
    "search_threads",
    "update_thread",
]
