"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from py_app.api.budget_schemas import PriceOut
from py_core.ai_ml.pricing import usd
from py_core.chat import Siblings
from py_core.database.models import (
    ApiToken,
    Message,
    MessageRole,
    MessageStatus,
    Thread,
    ThreadStatus,
    User,
    UserSession,
)
from py_core.limits import (
    Content,
    DisplayName,
    Email,
    Instructions,
    ModelId,
    Password,
    Title,
    TokenName,
)

T = TypeVar("T")


class Input(BaseModel):
    """Unknown fields are refused, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        # PostgreSQL cannot store U+0000 in text; no legitimate input contains it.
        if isinstance(value, str) and "\x00" in value:
            raise ValueError("must not contain the NUL character")
        return value


class RegisterIn(Input):
    email: Email
    password: Password
    display_name: DisplayName
    invite: Annotated[str, StringConstraints(max_length=100)] | None = None
    """The code of an invite link (`/signup?invite=<code>`); needed when sign-up is by
    invitation, ignored when it is open."""


class LoginIn(Input):
    email: Email
    password: Password


class UserOut(BaseModel):
    id: str
    email: str
    display_name: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserOut:
        return cls(
            id=user.id, email=user.email, display_name=user.display_name, created_at=user.created_at
        )


class LoginOut(BaseModel):
    user: UserOut
    csrf_token: str
    """Send it back in `X-CSRF-Token` on every POST, PATCH and DELETE made with the cookie."""


class MeOut(UserOut):
    csrf_token: str | None = None
    """The session's CSRF token when signed in with the cookie; None with an API token."""


class TokenIn(Input):
    name: TokenName
    expires_at: datetime | None = None
    """When the token stops working; never when absent."""


class TokenOut(BaseModel):
    id: str
    name: str
    prefix: str
    """The first characters of the token, to tell tokens apart."""
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> TokenOut:
        return cls(
            id=token.id,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            expires_at=token.expires_at,
        )


class TokenCreatedOut(TokenOut):
    token: str
    """The secret: shown this once, stored only as a hash."""


class ItemsOut(BaseModel, Generic[T]):
    items: list[T]


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None
    """Pass it back to get the next page; null on the last page."""


class ModelOut(BaseModel):
    id: str
    """What threads store and requests name (`model`)."""
    display_name: str
    provider: str
    is_demo: bool
    """True for the offline demo model, which is not a real AI."""
    is_default: bool
    """The model new threads use when none is named."""
    price: PriceOut | None = None
    """What it costs; null when its price is unknown (never 0 for unknown)."""


class ModelsOut(BaseModel):
    items: list[ModelOut]
    default: str


class ThreadIn(Input):
    title: Title | None = None
    model: ModelId | None = None
    """A model id from `GET /api/v1/models`; the default model when absent."""
    instructions: Instructions | None = None


class ThreadPatch(Input):
    title: Title | None = None
    archived: bool | None = None
    model: ModelId | None = None
    instructions: Instructions | None = None
    """An empty string removes the instructions."""


class ThreadOut(BaseModel):
    id: str
    title: str
    model: str | None
    instructions: str | None
    archived: bool
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    active_leaf_id: str | None
    """The last message of the branch the thread shows; None while it is empty."""
    source: str | None = None
    """Where an imported thread came from (`chatgpt`, `claude`, `open-webui`, `py-app`);
    None for a thread made here."""
    matched_message_id: str | None = None
    """In search results: the newest message holding every word, on any branch (make
    it active with `PUT /api/v1/threads/{id}/active` to show it); None when the title
    matched."""

    @classmethod
    def of(cls, thread: Thread, *, matched_message_id: str | None = None) -> ThreadOut:
        return cls(
            id=thread.id,
            title=thread.title,
            model=thread.model_id,
            instructions=thread.instructions,
            archived=thread.status is ThreadStatus.ARCHIVED,
            created_at=thread.created_at,
            updated_at=thread.updated_at,
            last_activity_at=thread.last_activity_at,
            active_leaf_id=thread.active_leaf_id,
            source=thread.source.value if thread.source is not None else None,
            matched_message_id=matched_message_id,
        )


class MessageIn(Input):
    content: Content
    parent_id: str | None = None
    """The reply this message answers: absent for the thread's active leaf, another
    reply to branch there, `null` for a new first message. To edit a message, post the
    new text under its parent."""


class RegenerateIn(Input):
    model: ModelId | None = None
    """Write the new reply with this model, which the thread keeps for the next turns;
    the thread's model when absent."""


class ActiveIn(Input):
    message_id: str
    """Show the branch through this message (its newest leaf becomes active)."""


class SiblingsOut(BaseModel):
    """A message among its versions: ‹ index+1 / count ›."""

    index: int
    """Its place among them, from 0, oldest first."""
    count: int
    """How many versions there are; 1 when it was never edited or regenerated."""
    ids: list[str]
    """Every version's id, oldest first; switch to one with `PUT .../active`."""

    @classmethod
    def of(cls, siblings: Siblings) -> SiblingsOut:
        return cls(index=siblings.index, count=siblings.count, ids=siblings.ids)


class UsageOut(BaseModel):
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: Decimal | None = None
    """What the reply cost in US dollars; null while it is written and when its model's
    price is unknown (never 0 for unknown)."""


class MessageOut(BaseModel):
    id: str
    thread_id: str
    role: MessageRole
    status: MessageStatus
    """`pending` and `streaming` replies grow; the others are final."""
    text: str
    """The text; for a streaming reply, the last checkpoint."""
    model: str | None
    """The id of the model that wrote a reply (as in `GET /api/v1/models` and a
    thread's `model`)."""
    model_name: str | None
    """That model's name at its provider, set when the reply ends (with fallbacks,
    the one that answered)."""
    usage: UsageOut | None
    error: str | None
    """Why a reply failed, readable by its user."""
    created_at: datetime
    completed_at: datetime | None
    parent_id: str | None
    """The message it follows; None for a first message."""
    siblings: SiblingsOut | None = None
    """Its versions, in a thread's message list (the active branch)."""

    @classmethod
    def of(cls, message: Message, siblings: Siblings | None = None) -> MessageOut:
        usage = None
        if message.input_tokens is not None or message.output_tokens is not None:
            usage = UsageOut(
                input_tokens=message.input_tokens,
                output_tokens=message.output_tokens,
                cost_usd=usd(message.cost_nanos),
            )
        return cls(
            id=message.id,
            thread_id=message.thread_id,
            role=message.role,
            status=message.status,
            text=message.text,
            model=message.model_id,
            model_name=message.model_name,
            usage=usage,
            error=message.error,
            created_at=message.created_at,
            completed_at=message.completed_at,
            parent_id=message.parent_id,
            siblings=SiblingsOut.of(siblings) if siblings is not None else None,
        )


class TurnOut(BaseModel):
    user_message: MessageOut
    assistant_message: MessageOut
    """`pending`: its text arrives on `GET /api/v1/threads/{id}/events`."""


class SessionOut(BaseModel):
    """A signed-in browser of the user."""

    id: str
    user_agent: str | None
    """The browser, as it named itself when it signed in."""
    address: str | None
    """The client address it was last used from."""
    created_at: datetime
    """When it signed in."""
    last_seen_at: datetime
    """Its last use, to the minute."""
    expires_at: datetime
    """When it ends unless used again."""
    current: bool
    """The session making this request."""

    @classmethod
    def of(cls, session: UserSession, *, current_id: str | None) -> SessionOut:
        return cls(
            id=session.id,
            user_agent=session.user_agent,
            address=session.address,
            created_at=session.created_at,
            last_seen_at=session.last_seen_at,
            expires_at=session.expires_at,
            current=session.id == current_id,
        )


class PasswordChangeIn(Input):
    current_password: Password
    """The password now, to prove it is the owner at the keyboard."""
    new_password: Password
    """At least 8 characters, not a common password."""


class AccountDeleteIn(Input):
    password: Password
    """The account's password: deleting it cannot be undone."""


class TokenUsageOut(BaseModel):
    input_tokens: int
    """Tokens sent to the models (prompts and history)."""
    output_tokens: int
    """Tokens the models wrote."""


class ErrorDetail(BaseModel):
    code: str
    """Stable and machine-readable: `invalid_input`, `not_found`, `rate_limited`..."""
    message: str
    """Safe to show to the user."""
    field: str | None = None
    """The input at fault, when there is one."""


class ErrorOut(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses a route may answer."""
    return {status: {"model": ErrorOut} for status in statuses}


AUTHENTICATED_ERRORS = error_responses(400, 401, 403, 404, 413, 422, 503)
