"""Who may sign up: the configured mode (`REGISTRATION`, on `ctx.registration`), unless
an administrator chose another one, which is kept in the database for every instance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from py_core.admin._access import require_admin
from py_core.admin.audit import record
from py_core.context import Context
from py_core.database.models import AuditAction, RegistrationMode, SiteSettings

_SITE = 1
"""The id of the one `SiteSettings` row."""


@dataclass(frozen=True, kw_only=True)
class RegistrationState:
    mode: RegistrationMode
    """The mode in force."""
    configured: RegistrationMode
    """The configuration's (`REGISTRATION`), in force unless an administrator chose."""
    chosen: bool
    """True when an administrator's choice overrides the configuration."""
    changed_at: datetime | None
    """When an administrator last chose; None if never."""


async def get_registration(ctx: Context) -> RegistrationState:
    """Anyone may ask: the sign-up page says what it takes before anyone types."""
    site = await ctx.db.get(SiteSettings, _SITE)
    chosen = site.registration if site is not None else None
    return RegistrationState(
        mode=chosen or ctx.registration,
        configured=ctx.registration,
        chosen=chosen is not None,
        changed_at=site.updated_at if site is not None else None,
    )


@dataclass(frozen=True, kw_only=True)
class SetRegistration:
    mode: RegistrationMode | None
    """The mode from now on; None goes back to the configured one."""


async def set_registration(params: SetRegistration, ctx: Context) -> RegistrationState:
    require_admin(ctx)
    before = await get_registration(ctx)
    site = await ctx.db.get(SiteSettings, _SITE)
    if site is None:
        try:
            # A savepoint: two administrators choosing at once both find no row.
            async with ctx.db.begin_nested():
                site = SiteSettings(id=_SITE, registration=params.mode)
                ctx.db.add(site)
        except IntegrityError:
            site = await ctx.db.get(SiteSettings, _SITE, populate_existing=True)
            assert site is not None
    site.registration = params.mode
    await ctx.db.flush()
    after = await get_registration(ctx)
    if after.mode is not before.mode or after.chosen is not before.chosen:
        record(
            ctx,
            AuditAction.REGISTRATION_CHANGED,
            details={
                "from": str(before.mode),
                "to": str(after.mode) if after.chosen else f"{after.mode} (the configuration)",
            },
        )
    return after
