"""Provider and run failures, mapped to `ChatError` kinds with messages safe to show.

The messages are written here, never copied from the provider: an error body can quote
a (partly masked) key, so only the status code and the error class survive.
"""

from __future__ import annotations

from pydantic_ai.exceptions import (
    ContentFilterError,
    FallbackExceptionGroup,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelContextWindowExceededError,
    ModelHTTPError,
    ModelNotFoundError,
    ModelQuotaExceededError,
    ModelRateLimitError,
    ModelRequestTimeout,
    ModelTimeoutError,
    ModelUnavailableError,
    RunTimedOut,
    UnexpectedModelBehavior,
    UsageLimitExceeded,
)

from py_core.ai_ml.types import ChatError, ChatErrorKind

_BY_STATUS: dict[int, ChatErrorKind] = {
    401: "authentication_failed",
    403: "authentication_failed",
    404: "model_unavailable",
    408: "timed_out",
    413: "context_too_long",
    429: "rate_limited",
    502: "model_unavailable",
    503: "model_unavailable",
    504: "timed_out",
    529: "model_unavailable",
}

_MESSAGES: dict[ChatErrorKind, str] = {
    "rate_limited": "The provider is rate limiting requests for {model}. Try again shortly.",
    "quota_exceeded": "The provider account behind {model} is out of quota or credits.",
    "authentication_failed": (
        "The provider rejected the credentials for {model}. Check the API key configured for it."
    ),
    "context_too_long": (
        "The conversation is too long for {model}. Start a new thread or pick a larger model."
    ),
    "model_unavailable": (
        "{model} is unavailable right now (unknown model name, server down or unreachable)."
    ),
    "timed_out": "{model} took too long to answer.",
    "limit_exceeded": "The reply for {model} hit this turn's limit.",
    "content_filtered": "The provider's content filter stopped the reply from {model}.",
    "provider_error": "The provider failed to answer for {model}.",
}


def to_chat_error(exc: BaseException, *, model_id: str) -> ChatError | None:
    """The `ChatError` for a failure of a turn, or None when it is not a model failure (a bug)."""
    if isinstance(exc, FallbackExceptionGroup):
        # Every model of the chain failed; the last one's reason is the one to report.
        last = exc.exceptions[-1] if exc.exceptions else None
        return None if last is None else to_chat_error(last, model_id=model_id)
    kind = _kind(exc)
    if kind is None:
        return None
    message = _MESSAGES[kind].format(model=f"model {model_id!r}")
    if isinstance(exc, UsageLimitExceeded):
        message = f"{message} ({exc.message})"
    status = exc.status_code if isinstance(exc, ModelHTTPError) else None
    if status is not None:
        message = f"{message} (HTTP {status})"
    retry_after = exc.retry_after if isinstance(exc, ModelAPIError) else None
    return ChatError(kind, message, retry_after=retry_after, status_code=status)


def _kind(exc: BaseException) -> ChatErrorKind | None:
    # Order matters: the specific categories are subclasses of the general ones.
    if isinstance(exc, RunTimedOut | ModelRequestTimeout | ModelTimeoutError):
        return "timed_out"
    if isinstance(exc, UsageLimitExceeded):
        return "limit_exceeded"
    if isinstance(exc, ModelRateLimitError):
        return "rate_limited"
    if isinstance(exc, ModelQuotaExceededError):
        return "quota_exceeded"
    if isinstance(exc, ModelAuthenticationError):
        return "authentication_failed"
    if isinstance(exc, ModelContextWindowExceededError):
        return "context_too_long"
    if isinstance(exc, ModelNotFoundError | ModelUnavailableError | ModelConnectionError):
        return "model_unavailable"
    if isinstance(exc, ContentFilterError):
        return "content_filtered"
    if isinstance(exc, ModelHTTPError):
        return _BY_STATUS.get(exc.status_code, "provider_error")
    if isinstance(exc, ModelAPIError | UnexpectedModelBehavior):
        return "provider_error"
    return None
