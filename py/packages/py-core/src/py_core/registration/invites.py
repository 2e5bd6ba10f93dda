"""Invite links: an administrator makes one, it opens the sign-up page once, until it
expires. Only the SHA-256 of the secret is stored, so the link is shown once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import select, update

from py_core.accounts._secrets import hash_secret, new_secret
from py_core.admin._access import require_admin
from py_core.admin.audit import record
from py_core.chat._cursor import check_limit, decode_cursor, encode_cursor
from py_core.context import Context
from py_core.database.models import AuditAction, Invite, User
from py_core.database.utils import utcnow
from py_core.errors import InvalidInput, NotFound
from py_core.limits import DEFAULT_INVITE_DAYS, MAX_INVITE_DAYS, MAX_INVITE_NOTE
from py_core.registration._errors import InviteInvalid

InviteState = Literal["pending", "used", "expired", "revoked"]


def invite_state(invite: Invite, *, now: datetime | None = None) -> InviteState:
    if invite.used_at is not None:
        return "used"
    if invite.revoked_at is not None:
        return "revoked"
    if invite.expires_at <= (now or utcnow()):
        return "expired"
    return "pending"


@dataclass(frozen=True, kw_only=True)
class CreateInvite:
    note: str | None = None
    """Whom it is for, up to `MAX_INVITE_NOTE` characters; shown in the list."""
    days: int = DEFAULT_INVITE_DAYS
    """How long it works, 1 to `MAX_INVITE_DAYS` days."""


@dataclass(frozen=True, kw_only=True)
class CreatedInvite:
    invite: Invite
    """The stored row (holds only the hash)."""
    code: str
    """The secret of the link (`/signup?invite=<code>`): shown this once."""


async def create_invite(params: CreateInvite, ctx: Context) -> CreatedInvite:
    admin = require_admin(ctx)
    note = (params.note or "").strip() or None
    if note is not None and len(note) > MAX_INVITE_NOTE:
        raise InvalidInput(f"The note must be at most {MAX_INVITE_NOTE} characters.", field="note")
    if not 1 <= params.days <= MAX_INVITE_DAYS:
        raise InvalidInput(f"An invite works for 1 to {MAX_INVITE_DAYS} days.", field="days")
    code = new_secret()
    invite = Invite(
        token_hash=hash_secret(code),
        note=note,
        created_by_id=admin.id,
        expires_at=utcnow() + timedelta(days=params.days),
    )
    ctx.db.add(invite)
    await ctx.db.flush()
    record(
        ctx,
        AuditAction.INVITE_CREATED,
        target_id=invite.id,
        target_name=note,
        details={"expires_at": invite.expires_at.isoformat(timespec="minutes")},
    )
    return CreatedInvite(invite=invite, code=code)


@dataclass(frozen=True, kw_only=True)
class ListInvites:
    cursor: str | None = None
    """`next_cursor` of the previous page."""
    limit: int = 50
    """Invites per page, 1 to 100."""


@dataclass(frozen=True, kw_only=True)
class InvitePage:
    items: list[Invite]
    """Newest first, whatever their state."""
    next_cursor: str | None
    """Pass it back for older invites; None on the last page."""


async def list_invites(params: ListInvites, ctx: Context) -> InvitePage:
    require_admin(ctx)
    limit = check_limit(params.limit)
    query = select(Invite).order_by(Invite.id.desc()).limit(limit + 1)
    if params.cursor:
        [last_id] = decode_cursor(params.cursor, 1)
        query = query.where(Invite.id < last_id)
    rows = list(await ctx.db.scalars(query))
    items = rows[:limit]
    return InvitePage(
        items=items, next_cursor=encode_cursor(items[-1].id) if len(rows) > limit else None
    )


@dataclass(frozen=True, kw_only=True)
class RevokeInvite:
    invite_id: str
    """An invite not used yet; it stops working at once."""


async def revoke_invite(params: RevokeInvite, ctx: Context) -> Invite:
    require_admin(ctx)
    invite = await ctx.db.get(Invite, params.invite_id)
    if invite is None or invite.used_at is not None:
        raise NotFound("No such unused invite.")
    if invite.revoked_at is None:
        invite.revoked_at = utcnow()
        record(ctx, AuditAction.INVITE_REVOKED, target_id=invite.id, target_name=invite.note)
    return invite


async def find_invite(code: str, ctx: Context) -> Invite:
    """The invite this link holds, if it still works; `InviteInvalid` saying why not."""
    invite = await ctx.db.scalar(select(Invite).where(Invite.token_hash == hash_secret(code)))
    state = invite_state(invite) if invite is not None else None
    if invite is None or state == "revoked":
        raise InviteInvalid("This invite link is not valid. Ask an administrator for a new one.")
    if state == "used":
        raise InviteInvalid("This invite link has been used already. Each link works once.")
    if state == "expired":
        raise InviteInvalid("This invite link has expired. Ask an administrator for a new one.")
    return invite


async def use_invite(invite: Invite, user: User, ctx: Context) -> None:
    """Mark the invite used by `user`, atomically: of two sign-ups racing on one link,
    the second finds it used (its UPDATE matches no row) and fails with its account."""
    now = utcnow()
    result = await ctx.db.execute(
        update(Invite)
        .where(
            Invite.id == invite.id,
            Invite.used_at.is_(None),
            Invite.revoked_at.is_(None),
            Invite.expires_at > now,
        )
        .values(used_at=now, used_by_id=user.id)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise InviteInvalid("This invite link has been used already. Each link works once.")
    await ctx.db.refresh(invite)
