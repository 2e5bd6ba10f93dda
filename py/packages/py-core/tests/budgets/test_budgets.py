"""Budgets on the operations: a turn holds its share before it starts, an ended reply
counts its real usage, a spent period refuses with `QuotaExceeded` until it resets (an
injected clock crosses the boundary), a user's override replaces the default."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update

from py_core.ai_ml.pricing import Price, to_nanos
from py_core.ai_ml.providers import CatalogEntry, ModelCatalog, ModelOption
from py_core.ai_ml.types import TurnResult, TurnUsage
from py_core.budgets import (
    PROMPT_OVERHEAD_TOKENS,
    BudgetSettings,
    Limit,
    budget_of,
    budget_warning,
    window,
)
from py_core.chat import CreateThread, PostMessage, create_thread, post_message
from py_core.chat._finish import Outcome, apply_outcome
from py_core.context import Context
from py_core.database.models import BudgetLimit, BudgetPeriod, Message, MessageStatus, User
from py_core.errors import Forbidden, QuotaExceeded
from py_core_testing.models import text_model

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
REPLY = 100


def catalog() -> ModelCatalog:
    return ModelCatalog(
        [
            CatalogEntry(
                option=ModelOption(
                    id="priced",
                    model_name="scripted",
                    price=Price(input=Decimal(1), output=Decimal(2)),
                ),
                model=text_model("ok"),
            ),
            CatalogEntry(option=ModelOption(id="unpriced", model_name="x"), model=text_model("ok")),
        ]
    )


def budgeted(ctx: Context, user: User, now: datetime = NOW, **limits: Limit) -> Context:
    settings = BudgetSettings(
        defaults={BudgetPeriod(k): v for k, v in limits.items()},
        clock=lambda: now,
        reply_tokens=REPLY,
    )
    return replace(ctx, models=catalog(), budgets=settings).as_user(user)


async def finish_reply(ctx: Context, reply_id: str, tokens: tuple[int, int]) -> None:
    message = await ctx.db.get(Message, reply_id)
    assert message is not None
    result = TurnResult(
        text="ok",
        model_name="scripted",
        usage=TurnUsage(input_tokens=tokens[0], output_tokens=tokens[1]),
        cost_nanos=tokens[0] * 1000 + tokens[1] * 2000,
    )
    apply_outcome(message, Outcome(status=MessageStatus.COMPLETE, text="ok", result=result))
    await ctx.db.flush()


def test_periods_follow_the_time_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    # 23:30 UTC on Nov 30 is already Dec 1 in Berlin.
    day = window(BudgetPeriod.DAY, datetime(2026, 11, 30, 23, 30, tzinfo=UTC), berlin)
    assert day.start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert day.end == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)
    month = window(BudgetPeriod.MONTH, datetime(2026, 12, 31, 23, 59, tzinfo=UTC), ZoneInfo("UTC"))
    assert (month.start, month.end) == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    # A day with the change to summer time is 23 hours long.
    spring = window(BudgetPeriod.DAY, datetime(2026, 3, 29, 12, tzinfo=UTC), berlin)
    assert spring.end - spring.start == timedelta(hours=23)


async def test_a_turn_holds_its_share_and_an_ended_reply_counts_its_usage(
    ctx: Context, alice: User
) -> None:
    actx = budgeted(ctx, alice, day=Limit(max_tokens=100_000))
    thread = await create_thread(CreateThread(model_id="priced"), actx)
    turn = await post_message(PostMessage(thread_id=thread.id, content="Hello"), actx)
    reply = turn.assistant_message
    # Its prompt (characters, with the framing) and its longest reply.
    assert reply.reserved_tokens == len("Hello") + PROMPT_OVERHEAD_TOKENS + REPLY
    assert (
        reply.reserved_cost_nanos == (len("Hello") + PROMPT_OVERHEAD_TOKENS) * 1000 + REPLY * 2000
    )
    [day] = await budget_of(alice.id, actx)
    assert day.spent.tokens == reply.reserved_tokens
    await finish_reply(actx, reply.id, (30, 20))
    [day] = await budget_of(alice.id, actx)
    assert (day.spent.tokens, day.spent.cost_nanos) == (50, 30 * 1000 + 20 * 2000)
    assert day.source == "configuration"


async def test_a_spent_day_refuses_until_midnight(ctx: Context, alice: User) -> None:
    actx = budgeted(ctx, alice, day=Limit(max_tokens=60))
    thread = await create_thread(CreateThread(model_id="priced"), actx)
    turn = await post_message(PostMessage(thread_id=thread.id, content="Hello"), actx)
    await finish_reply(actx, turn.assistant_message.id, (40, 20))
    with pytest.raises(QuotaExceeded) as refused:
        await post_message(PostMessage(thread_id=thread.id, content="Again"), actx)
    assert refused.value.period == "day"
    assert refused.value.limit == {"tokens": 60, "usd": None}
    assert refused.value.resets_at == datetime(2026, 12, 2, tzinfo=UTC)
    assert "resets at 2026-12-02 00:00 UTC" in refused.value.message
    [day] = await budget_of(alice.id, actx)
    assert (
        budget_warning([day])
        == "You have used all of today's budget; it resets at 2026-12-02 00:00 UTC."
    )
    # One second before midnight it is still spent; at midnight the day starts again.
    late = budgeted(
        ctx, alice, NOW.replace(hour=23, minute=59, second=59), day=Limit(max_tokens=60)
    )
    with pytest.raises(QuotaExceeded):
        await post_message(PostMessage(thread_id=thread.id, content="Again"), late)
    tomorrow = budgeted(ctx, alice, datetime(2026, 12, 2, tzinfo=UTC), day=Limit(max_tokens=60))
    # The clock moved, the rows did not: they were written "now" (real time); put them
    # in the period before the boundary the test crosses.
    await ctx.db.execute(update(Message).values(created_at=NOW))
    await post_message(PostMessage(thread_id=thread.id, content="Again"), tomorrow)


async def test_the_month_limits_in_money(ctx: Context, alice: User) -> None:
    actx = budgeted(ctx, alice, month=Limit(max_cost_nanos=to_nanos(Decimal("0.0001"))))
    thread = await create_thread(CreateThread(model_id="priced"), actx)
    turn = await post_message(PostMessage(thread_id=thread.id, content="Hi"), actx)
    # 50 prompt tokens at $1/M and 30 output at $2/M: $0.00011, past $0.0001.
    await finish_reply(actx, turn.assistant_message.id, (50, 30))
    with pytest.raises(QuotaExceeded) as refused:
        await post_message(PostMessage(thread_id=thread.id, content="Hi"), actx)
    assert refused.value.limit == {"tokens": None, "usd": "0.0001"}
    assert refused.value.resets_at == datetime(2027, 1, 1, tzinfo=UTC)


async def test_a_money_limit_refuses_a_model_without_a_price(ctx: Context, alice: User) -> None:
    actx = budgeted(ctx, alice, day=Limit(max_cost_nanos=to_nanos(Decimal(1))))
    thread = await create_thread(CreateThread(model_id="unpriced"), actx)
    with pytest.raises(Forbidden, match="no known price"):
        await post_message(PostMessage(thread_id=thread.id, content="Hi"), actx)
    # A token limit alone does not need a price.
    tokens_only = budgeted(ctx, alice, day=Limit(max_tokens=10_000))
    await post_message(PostMessage(thread_id=thread.id, content="Hi"), tokens_only)


async def test_an_override_replaces_the_default(ctx: Context, alice: User, bob: User) -> None:
    ctx.db.add(BudgetLimit(user_id=None, period=BudgetPeriod.DAY, max_tokens=0))
    # Bob's own day has no limit: an override with neither limit.
    ctx.db.add(BudgetLimit(user_id=bob.id, period=BudgetPeriod.DAY))
    await ctx.db.flush()
    # The configuration says 1,000,000 a day; the administrator's default (0) wins.
    actx = budgeted(ctx, alice, day=Limit(max_tokens=1_000_000))
    thread = await create_thread(CreateThread(model_id="priced"), actx)
    with pytest.raises(QuotaExceeded):
        await post_message(PostMessage(thread_id=thread.id, content="Hi"), actx)
    [day] = await budget_of(alice.id, actx)
    assert day.source == "default"
    bctx = budgeted(ctx, bob, day=Limit(max_tokens=1_000_000))
    bthread = await create_thread(CreateThread(model_id="priced"), bctx)
    await post_message(PostMessage(thread_id=bthread.id, content="Hi"), bctx)
    assert await budget_of(bob.id, bctx) == []
