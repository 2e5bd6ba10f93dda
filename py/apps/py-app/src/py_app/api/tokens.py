"""Personal API tokens: create (the secret shown once), list, revoke."""

from __future__ import annotations

from fastapi import APIRouter, Response

from py_app.api.schemas import (
    AUTHENTICATED_ERRORS,
    ItemsOut,
    TokenCreatedOut,
    TokenIn,
    TokenOut,
)
from py_app.deps import UserContext, check_id
from py_core.accounts import (
    CreateApiToken,
    RevokeApiToken,
    create_api_token,
    list_api_tokens,
    revoke_api_token,
)

router = APIRouter(prefix="/api/v1/tokens", tags=["tokens"], responses=AUTHENTICATED_ERRORS)


@router.post("", status_code=201)
async def create_token(body: TokenIn, ctx: UserContext) -> TokenCreatedOut:
    created = await create_api_token(
        CreateApiToken(name=body.name, expires_at=body.expires_at), ctx
    )
    return TokenCreatedOut(**TokenOut.of(created.token).model_dump(), token=created.secret)


@router.get("")
async def list_tokens(ctx: UserContext) -> ItemsOut[TokenOut]:
    return ItemsOut(items=[TokenOut.of(t) for t in await list_api_tokens(ctx)])


@router.delete("/{token_id}", status_code=204)
async def revoke_token(token_id: str, ctx: UserContext) -> Response:
    await revoke_api_token(RevokeApiToken(token_id=check_id(token_id, "token")), ctx)
    return Response(status_code=204)
