"""The models this deployment offers to the signed-in user."""

from __future__ import annotations

from fastapi import APIRouter

from py_app.api.budget_schemas import PriceOut
from py_app.api.schemas import AUTHENTICATED_ERRORS, ModelOut, ModelsOut
from py_app.deps import RuntimeDep, UserContext
from py_core.chat.model_access import allowed_models

router = APIRouter(prefix="/api/v1/models", tags=["models"], responses=AUTHENTICATED_ERRORS)


@router.get("")
async def list_models(ctx: UserContext, runtime: RuntimeDep) -> ModelsOut:
    """The models the user may use (an administrator may keep some for some people),
    each with its price when it is known."""
    catalog = runtime.catalog
    return ModelsOut(
        items=[
            ModelOut(
                id=option.id,
                display_name=option.label,
                provider=option.provider,
                is_demo=option.is_demo,
                is_default=option.id == catalog.default_id,
                price=PriceOut.of(catalog.price(option.id)),
            )
            for option in await allowed_models(ctx)
        ],
        default=catalog.default_id,
    )
