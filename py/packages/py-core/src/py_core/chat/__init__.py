"""Chat: threads, messages, turns, search, and the runner that writes the replies.

Every operation acts for `ctx.user`; another user's thread or message is `NotFound`,
never `Forbidden`. A thread is a tree of messages: edits and regenerated replies are
branches, and the thread shows one of them (its active leaf's).
"""

from py_core.chat._settings import DEFAULT_MAX_CONCURRENT
from py_core.chat._tree import Siblings
from py_core.chat.branches import SwitchBranch, switch_branch
from py_core.chat.messages import (
    BranchPage,
    ListMessages,
    get_message,
    get_message_versions,
    list_messages,
)
from py_core.chat.runner import GenerationRunner, RunnerSettings
from py_core.chat.search import SearchHit, SearchThreads, search_threads
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
from py_core.chat.turns import (
    ACTIVE_LEAF,
    CancelTurn,
    PostedTurn,
    PostMessage,
    RegenerateReply,
    cancel_turn,
    post_message,
    regenerate_reply,
)

__all__ = [
    "ACTIVE_LEAF",
    "DEFAULT_MAX_CONCURRENT",
    "BranchPage",
    "CancelTurn",
    "CreateThread",
    "DeleteThread",
    "GenerationRunner",
    "ListMessages",
    "ListThreads",
    "Page",
    "PostMessage",
    "PostedTurn",
    "RegenerateReply",
    "RunnerSettings",
    "SearchHit",
    "SearchThreads",
    "Siblings",
    "SwitchBranch",
    "UpdateThread",
    "cancel_turn",
    "create_thread",
    "delete_thread",
    "get_message",
    "get_message_versions",
    "get_thread",
    "list_messages",
    "list_threads",
    "post_message",
    "regenerate_reply",
    "search_threads",
    "switch_branch",
    "update_thread",
]
