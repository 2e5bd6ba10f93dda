"""Who may use which model: the configuration's `access`, replaced by an administrator's
rule; administrators may use every model; a turn on a model the user may not use is
`Forbidden`, and so is naming it for a thread."""

from dataclasses import replace

import pytest

from py_core.ai_ml import load_model_catalog
from py_core.chat import (
    CreateThread,
    PostMessage,
    RegenerateReply,
    UpdateThread,
    create_thread,
    post_message,
    regenerate_reply,
    update_thread,
)
from py_core.chat._finish import Outcome, apply_outcome
from py_core.chat.model_access import allowed_models, check_model_allowed
from py_core.context import Context
from py_core.database.models import MessageStatus, ModelAccessRule, User, UserRole
from py_core.errors import Forbidden

MODELS = """[
  {"id": "open", "provider": "openai", "model": "gpt-4.1-mini", "api_key_env": "K"},
  {"id": "staff", "provider": "openai", "model": "gpt-4.1", "api_key_env": "K",
   "access": {"users": ["Alice@Example.com"]}},
  {"id": "admins", "provider": "openai", "model": "o3", "api_key_env": "K",
   "access": {"roles": ["admin"]}}
]"""


def as_user(ctx: Context, user: User) -> Context:
    return replace(ctx, models=load_model_catalog({"PY_APP_MODELS": MODELS, "K": "k"})).as_user(
        user
    )


async def ids(ctx: Context) -> list[str]:
    return [option.id for option in await allowed_models(ctx)]


async def test_the_configuration_lists_who_may_use_a_model(
    ctx: Context, alice: User, bob: User
) -> None:
    assert await ids(as_user(ctx, alice)) == ["open", "staff"]
    assert await ids(as_user(ctx, bob)) == ["open"]
    bob.role = UserRole.ADMIN
    assert await ids(as_user(ctx, bob)) == ["open", "staff", "admins"]


async def test_an_administrators_rule_replaces_the_configuration(
    ctx: Context, alice: User, bob: User
) -> None:
    ctx.db.add(ModelAccessRule(model_id="staff", everyone=False, roles=[], user_ids=[bob.id]))
    ctx.db.add(ModelAccessRule(model_id="open", everyone=False, roles=["admin"], user_ids=[]))
    ctx.db.add(ModelAccessRule(model_id="admins", everyone=True, roles=[], user_ids=[]))
    await ctx.db.flush()
    assert await ids(as_user(ctx, alice)) == ["admins"]
    assert await ids(as_user(ctx, bob)) == ["staff", "admins"]


async def test_every_turn_respects_it(ctx: Context, alice: User, bob: User) -> None:
    bctx = as_user(ctx, bob)
    with pytest.raises(Forbidden, match="You may not use the model 'staff'"):
        await create_thread(CreateThread(model_id="staff"), bctx)
    with pytest.raises(Forbidden):
        await check_model_allowed(bctx, "staff")
    thread = await create_thread(CreateThread(model_id="open"), bctx)
    with pytest.raises(Forbidden):
        await update_thread(UpdateThread(thread_id=thread.id, model_id="staff"), bctx)
    turn = await post_message(PostMessage(thread_id=thread.id, content="Hi"), bctx)
    apply_outcome(turn.assistant_message, Outcome(status=MessageStatus.COMPLETE, text="ok"))
    await ctx.db.flush()
    with pytest.raises(Forbidden):
        await regenerate_reply(
            RegenerateReply(
                thread_id=thread.id, message_id=turn.assistant_message.id, model_id="staff"
            ),
            bctx,
        )
    # The administrator takes the thread's model away: the next turn is refused.
    ctx.db.add(ModelAccessRule(model_id="open", everyone=False, roles=["admin"], user_ids=[]))
    await ctx.db.flush()
    with pytest.raises(Forbidden):
        await post_message(PostMessage(thread_id=thread.id, content="Again"), bctx)
    with pytest.raises(Forbidden):
        await regenerate_reply(
            RegenerateReply(thread_id=thread.id, message_id=turn.assistant_message.id), bctx
        )
