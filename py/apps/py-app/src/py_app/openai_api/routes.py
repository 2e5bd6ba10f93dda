"""`/v1/chat/completions` and `/v1/models`: thin handlers over `py_core.chat.completions`."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from py_app.deps import RuntimeDep
from py_app.openai_api.errors import (
    OPENAI_PREFIX,
    OpenAIRoute,
    error_responses,
    missing_api_key,
    rate_limited,
)
from py_app.openai_api.schemas import ChatCompletionIn, ChatCompletionOut, ModelListOut, ModelOut
from py_app.openai_api.streaming import Call, completion_out, stream_response
from py_app.runtime import Runtime
from py_core.accounts import authenticate_api_token
from py_core.ai_ml import ModelOption, TurnResult
from py_core.chat.completions import Completion, PreparedCompletion, prepare_completion
from py_core.chat.model_access import allowed_models, check_model_allowed
from py_core.database import session_scope
from py_core.database.models import User

router = APIRouter(
    prefix=OPENAI_PREFIX.rstrip("/"),
    tags=["openai"],
    route_class=OpenAIRoute,
    # Every call: the token (401), the account's rate (429), a database too busy (503).
    responses=error_responses(401, 429, 503),
)

# Models have no creation date here; OpenAI's clients only need a number.
MODELS_CREATED = 0


async def get_api_user(request: Request, runtime: RuntimeDep) -> User:
    """The owner of the Bearer API token (a session cookie is not enough here), within
    the account's request rate (shared through Redis when configured).

    Its own unit of work, committed before the handler runs: no transaction (and on
    SQLite no write lock for the token's last use) stays open while the model answers.
    """
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise missing_api_key()
    async with session_scope(runtime.sessions) as session:
        user = await authenticate_api_token(secret.strip(), runtime.context(session))
    limit = runtime.settings.api_requests_per_minute
    verdict = await runtime.rate_limiter.hit(f"v1:user:{user.id}", limit, 60)
    if not verdict.allowed:
        raise rate_limited(limit, verdict.retry_after)
    return user


ApiUser = Annotated[User, Depends(get_api_user)]


@router.get("/models")
async def list_models(user: ApiUser, runtime: RuntimeDep) -> ModelListOut:
    """The models this token's owner may use."""
    async with session_scope(runtime.sessions) as session:
        options = await allowed_models(runtime.context(session).as_user(user))
    return ModelListOut(data=[_model_out(option) for option in options])


@router.get("/models/{model_id}", responses=error_responses(403, 404))
async def get_model(model_id: str, user: ApiUser, runtime: RuntimeDep) -> ModelOut:
    async with session_scope(runtime.sessions) as session:
        option = await check_model_allowed(runtime.context(session).as_user(user), model_id)
    assert option is not None  # the runtime's context has the catalog
    return _model_out(option)


@router.post(
    "/chat/completions",
    response_model=None,
    responses={
        200: {
            "model": ChatCompletionOut,
            "description": "The reply; with `stream`, `text/event-stream` of "
            "`chat.completion.chunk` events ending with `data: [DONE]`.",
        },
        # The body (400, 413), the model (403, 404), the budget (429 insufficient_quota),
        # the provider (502, 503, 504).
        **error_responses(400, 403, 404, 413, 502, 504),
    },
)
async def create_chat_completion(
    body: ChatCompletionIn, user: ApiUser, runtime: RuntimeDep
) -> ChatCompletionOut | StreamingResponse:
    prepared = prepare_completion(
        Completion(
            user_id=user.id,
            model_id=body.model,
            messages=[message.to_chat_message() for message in body.messages],
            temperature=body.temperature,
            max_tokens=body.output_cap,
            keep=runtime.settings.openai_api_keep_threads,
        ),
        runtime.catalog,
    )
    completions = runtime.completions
    # Before any byte of the answer: a refused call is a plain 403 or 429, even streamed.
    await completions.admit(prepared, user)
    call = Call(id=f"chatcmpl-{prepared.reply_id}", created=int(time.time()), model=body.model)

    def count(result: TurnResult) -> None:
        _count_tokens(runtime, prepared, result)

    if body.stream:
        return await stream_response(
            completions.stream(prepared), call, include_usage=body.include_usage, on_result=count
        )
    result = await completions.run(prepared)
    count(result)
    return completion_out(call, result)


def _model_out(option: ModelOption) -> ModelOut:
    return ModelOut(id=option.id, created=MODELS_CREATED, owned_by=option.provider)


def _count_tokens(runtime: Runtime, prepared: PreparedCompletion, result: TurnResult) -> None:
    """Token metrics of a call not kept as a thread; a kept one is counted from its
    `message.completed` event, like every reply."""
    if prepared.completion.keep:
        return
    model = result.model_name or "unknown"
    runtime.metrics.tokens.labels(model, "input").inc(result.usage.input_tokens)
    runtime.metrics.tokens.labels(model, "output").inc(result.usage.output_tokens)
