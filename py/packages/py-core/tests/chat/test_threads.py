import pytest
from sqlalchemy import func, select

from py_core.ai_ml.providers import UnknownModel
from py_core.chat import (
    CreateThread,
    DeleteThread,
    ListThreads,
    UpdateThread,
    create_thread,
    delete_thread,
    get_thread,
    list_threads,
    update_thread,
)
from py_core.chat.threads import DEFAULT_TITLE
from py_core.chat.turns import PostMessage, post_message
from py_core.context import Context
from py_core.database.models import Message, ThreadStatus, User
from py_core.errors import InvalidInput, NotFound
from py_core_testing.models import catalog_of, text_model


async def test_create_with_defaults(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    assert thread.title == DEFAULT_TITLE
    assert thread.status is ThreadStatus.ACTIVE
    assert thread.owner_id == alice.id


async def test_model_is_checked_against_the_catalog(ctx: Context, alice: User) -> None:
    ctx.models = catalog_of({"fast": text_model("hi"), "slow": text_model("hi")})
    assert (await create_thread(CreateThread(), ctx.as_user(alice))).model_id == "fast"
    thread = await create_thread(CreateThread(model_id="slow"), ctx.as_user(alice))
    assert thread.model_id == "slow"
    with pytest.raises(UnknownModel, match="'nope'"):
        await create_thread(CreateThread(model_id="nope"), ctx.as_user(alice))
    with pytest.raises(InvalidInput):
        await update_thread(UpdateThread(thread_id=thread.id, model_id="x"), ctx.as_user(alice))


async def test_rename_archive_restore_and_instructions(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(instructions="Be brief."), ctx.as_user(alice))
    assert thread.instructions == "Be brief."
    await update_thread(
        UpdateThread(thread_id=thread.id, title="  Trip   plans ", archived=True),
        ctx.as_user(alice),
    )
    assert thread.title == "Trip plans"
    assert thread.status is ThreadStatus.ARCHIVED
    restored = await update_thread(
        UpdateThread(thread_id=thread.id, archived=False, instructions=""), ctx.as_user(alice)
    )
    assert restored.status is ThreadStatus.ACTIVE
    assert restored.instructions is None


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
async def test_bad_titles(ctx: Context, alice: User, title: str) -> None:
    with pytest.raises(InvalidInput, match="title"):
        await create_thread(CreateThread(title=title), ctx.as_user(alice))


async def test_delete_removes_the_messages(ctx: Context, alice: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    await post_message(PostMessage(thread_id=thread.id, content="hi"), ctx.as_user(alice))
    await delete_thread(DeleteThread(thread_id=thread.id), ctx.as_user(alice))
    with pytest.raises(NotFound):
        await get_thread(thread.id, ctx.as_user(alice))
    count = await ctx.db.scalar(select(func.count()).select_from(Message))
    assert count == 0


async def test_another_users_thread_is_not_found(ctx: Context, alice: User, bob: User) -> None:
    thread = await create_thread(CreateThread(), ctx.as_user(alice))
    with pytest.raises(NotFound, match="No such thread"):
        await get_thread(thread.id, ctx.as_user(bob))
    with pytest.raises(NotFound):
        await update_thread(UpdateThread(thread_id=thread.id, title="mine"), ctx.as_user(bob))
    with pytest.raises(NotFound):
        await delete_thread(DeleteThread(thread_id=thread.id), ctx.as_user(bob))
    assert (await list_threads(ListThreads(), ctx.as_user(bob))).items == []
    assert (await get_thread(thread.id, ctx.as_user(alice))).title == DEFAULT_TITLE


async def test_list_by_last_activity_every_row_once_while_rows_are_added(
    ctx: Context, alice: User
) -> None:
    created = [
        (await create_thread(CreateThread(title=f"t{i}"), ctx.as_user(alice))).id for i in range(7)
    ]
    seen: list[str] = []
    cursor = None
    while True:
        page = await list_threads(ListThreads(limit=3, cursor=cursor), ctx.as_user(alice))
        seen += [t.id for t in page.items]
        # New threads arrive at the top while we page down: they must not shift pages.
        await create_thread(CreateThread(title="newcomer"), ctx.as_user(alice))
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(reversed(created))


async def test_list_filters_by_status(ctx: Context, alice: User) -> None:
    kept = await create_thread(CreateThread(), ctx.as_user(alice))
    archived = await create_thread(CreateThread(), ctx.as_user(alice))
    await update_thread(UpdateThread(thread_id=archived.id, archived=True), ctx.as_user(alice))
    page = await list_threads(ListThreads(status=ThreadStatus.ACTIVE), ctx.as_user(alice))
    assert [t.id for t in page.items] == [kept.id]


@pytest.mark.parametrize(
    "cursor",
    ["%%%", "bm90IGpzb24", "WyJhIl0", "WyJ4IiwieSJd", "WyJ4XHUwMDAwIiwieSJd"],
)
async def test_bad_cursor_is_invalid_input(ctx: Context, alice: User, cursor: str) -> None:
    with pytest.raises(InvalidInput, match="cursor"):
        await list_threads(ListThreads(cursor=cursor), ctx.as_user(alice))


@pytest.mark.parametrize("limit", [0, 101])
async def test_bad_limit(ctx: Context, alice: User, limit: int) -> None:
    with pytest.raises(InvalidInput, match="limit"):
        await list_threads(ListThreads(limit=limit), ctx.as_user(alice))
