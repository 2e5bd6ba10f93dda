"""What a user's model calls cost: the tokens of their replies and of their calls that
were not kept as threads (`UsageRecord`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from py_core.context import Context
from py_core.database.models import Message, Thread, UsageRecord


@dataclass(frozen=True, kw_only=True)
class TokenUsage:
    input_tokens: int = 0
    """Tokens sent to the models (prompts and history)."""
    output_tokens: int = 0
    """Tokens the models produced."""


async def get_usage(ctx: Context, *, since: datetime | None = None) -> TokenUsage:
    """The acting user's tokens, over every call or those since `since`."""
    return await usage_of(ctx.user_id, ctx, since=since)


async def usage_of(user_id: str, ctx: Context, *, since: datetime | None = None) -> TokenUsage:
    """`user_id`'s tokens, whoever asks: for callers that decided already who may see
    them (the user themselves, an administrator)."""
    replies = (
        select(
            func.coalesce(func.sum(Message.input_tokens), 0),
            func.coalesce(func.sum(Message.output_tokens), 0),
        )
        .join(Thread, Thread.id == Message.thread_id)
        .where(Thread.owner_id == user_id)
    )
    records = select(
        func.coalesce(func.sum(UsageRecord.input_tokens), 0),
        func.coalesce(func.sum(UsageRecord.output_tokens), 0),
    ).where(UsageRecord.user_id == user_id)
    if since is not None:
        replies = replies.where(Message.created_at >= since)
        records = records.where(UsageRecord.created_at >= since)
    in_replies, out_replies = (await ctx.db.execute(replies)).one()
    in_records, out_records = (await ctx.db.execute(records)).one()
    return TokenUsage(
        input_tokens=(in_replies or 0) + (in_records or 0),
        output_tokens=(out_replies or 0) + (out_records or 0),
    )
