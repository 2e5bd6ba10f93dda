"""The models this deployment offers."""

from __future__ import annotations

from fastapi import APIRouter

from py_app.api.schemas import AUTHENTICATED_ERRORS, ModelOut, ModelsOut
from py_app.deps import CurrentUser, RuntimeDep

router = APIRouter(prefix="/api/v1/models", tags=["models"], responses=AUTHENTICATED_ERRORS)


@router.get("")
async def list_models(_user: CurrentUser, runtime: RuntimeDep) -> ModelsOut:
    catalog = runtime.catalog
    return ModelsOut(
        items=[
            ModelOut(
                id=option.id,
                display_name=option.label,
                provider=option.provider,
                is_demo=option.is_demo,
                is_default=option.id == catalog.default_id,
            )
            for option in catalog.options
        ],
        default=catalog.default_id,
    )
