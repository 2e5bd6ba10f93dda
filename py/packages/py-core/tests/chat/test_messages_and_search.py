import pytest

from py_core.chat import (
    CreateThread,
    ListMessages,
    SearchThreads,
    create_thread,
    list_messages,
    search_threads,
)
from py_core.context import Context
from py_core.database.models import Message, MessageRole, Thread, User
from py_core.errors import InvalidInput, NotFound


async def _say(ctx: Context, thread: Thread, text: str) -> Message:
    """A message after the thread's active leaf, as the turn operations add them."""
    message = Message(
        thread_id=thread.id, parent_id=thread.active_leaf_id, role=MessageRole.USER, text=text
    )
    ctx.db.add(message)
    await ctx.db.flush()
    thread.active_leaf_id = message.id
    return message


async def test_messages_every_row_once_while_rows_are_added(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    ids = [(await _say(ctx, thread, f"m{i}")).id for i in range(8)]
    pages: list[list[str]] = []
    before = None
    while True:
        page = await list_messages(
            ListMessages(thread_id=thread.id, limit=3, before=before), ctx.as_user(alice)
        )
        pages.append([m.id for m in page.items])
        await _say(ctx, thread, "arrives while paging")
        if page.next_cursor is None:
            break
        before = page.next_cursor
    # Newest page first, each page oldest first.
    assert [i for page in reversed(pages) for i in page] == ids
    assert all(page == sorted(page) for page in pages)


async def test_messages_of_another_users_thread(ctx: Context, alice: User, bob: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    with pytest.raises(NotFound):
        await list_messages(ListMessages(thread_id=thread.id), ctx.as_user(bob))


async def test_search_finds_message_text_and_titles(ctx: Context, alice: User, bob: User) -> None:
    trip = await create_thread(CreateThread(title="Holiday"), ctx.as_user(alice))
    await _say(ctx, trip, "Which trains go from Lisbon to Porto on Sunday?")
    recipes = await create_thread(CreateThread(title="Sourdough recipes"), ctx.as_user(alice))
    await _say(ctx, recipes, "How long should the starter rest?")
    bobs = await create_thread(CreateThread(title="Porto"), ctx.as_user(bob))
    await _say(ctx, bobs, "Lisbon to Porto")

    async def search(query: str, user: User = alice) -> list[str]:
        hits = await search_threads(SearchThreads(query=query), ctx.as_user(user))
        return [hit.thread.id for hit in hits]

    assert await search("porto") == [trip.id]
    assert await search("lisbon PORTO") == [trip.id]
    assert await search("sourdough") == [recipes.id]  # title
    assert await search("starter") == [recipes.id]  # message text
    assert await search("sour") == [recipes.id]  # part of a title word
    assert await search("porto starter") == []  # every word must match in one place
    assert await search("porto", bob) == [bobs.id]


async def test_search_takes_query_syntax_literally(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    await _say(ctx, thread, 'He said "NEAR" AND left (quickly)*')
    for query in ['"near', "AND", "left)*", "NOT OR", "100%_"]:
        await search_threads(SearchThreads(query=query), ctx.as_user(alice))
    found = await search_threads(SearchThreads(query='"near" (quickly'), ctx.as_user(alice))
    assert [hit.thread.id for hit in found] == [thread.id]


async def test_search_sees_updated_text(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    message = await _say(ctx, thread, "first draft")
    message.text = "final answer"
    await ctx.db.flush()
    assert await search_threads(SearchThreads(query="draft"), ctx.as_user(alice)) == []
    found = await search_threads(SearchThreads(query="answer"), ctx.as_user(alice))
    assert [hit.thread.id for hit in found] == [thread.id]


@pytest.mark.parametrize("query", ["", "  ", "!!!", "x" * 201])
async def test_search_needs_words(ctx: Context, alice: User, query: str) -> None:
    with pytest.raises(InvalidInput):
        await search_threads(SearchThreads(query=query), ctx.as_user(alice))
