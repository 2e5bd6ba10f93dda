"""Who may use which model: open to everyone, or to listed roles and accounts, as the
configuration says (`access` on a model) or an administrator chose on /admin (which
replaces it for that model). Administrators may use every model.

Every path that names a model asks here: the picker and both model lists
(`allowed_models`), and each turn and `/v1` call (`check_model_allowed`, `Forbidden`).
"""

from __future__ import annotations

from sqlalchemy import select

from py_core.ai_ml.providers import ModelAccess, ModelOption
from py_core.context import Context
from py_core.database.models import ModelAccessRule, User
from py_core.errors import Forbidden


def access_of(option: ModelOption, rule: ModelAccessRule | None) -> ModelAccess | None:
    """Who may use `option` (None: everyone): the administrator's rule when there is
    one, else the configuration's."""
    if rule is None:
        return option.access
    if rule.everyone:
        return None
    return ModelAccess(
        roles=frozenset(r for r in ("admin", "user") if r in rule.roles),
        user_ids=frozenset(rule.user_ids),
    )


def may_use(access: ModelAccess | None, user: User) -> bool:
    if access is None:
        return True
    return access.allows(role=user.role.value, email=user.email, user_id=user.id)


async def rules(ctx: Context) -> dict[str, ModelAccessRule]:
    """Every administrator's rule, by model id (a few rows)."""
    return {rule.model_id: rule for rule in await ctx.db.scalars(select(ModelAccessRule))}


async def allowed_models(ctx: Context) -> list[ModelOption]:
    """The models the acting user may use, in configuration order."""
    if ctx.models is None:
        return []
    user = ctx.user
    if user is None:
        return []
    found = await rules(ctx)
    return [
        option
        for option in ctx.models.options
        if may_use(access_of(option, found.get(option.id)), user)
    ]


async def check_model_allowed(ctx: Context, model_id: str) -> ModelOption | None:
    """The model, if the acting user may use it; `UnknownModel` for no such model,
    `Forbidden` for one they may not use. None when the context has no catalog."""
    if ctx.models is None:
        return None
    option = ctx.models.get(model_id)
    user = ctx.user
    if user is None:
        return option
    rule = await ctx.db.get(ModelAccessRule, model_id)
    if not may_use(access_of(option, rule), user):
        raise Forbidden(model_forbidden_message(option))
    return option


def model_forbidden_message(option: ModelOption) -> str:
    """What a user is told about a model they may not use (the API and the chat page)."""
    return (
        f"You may not use the model {option.label!r}; "
        "pick another model, or ask an administrator for access."
    )
