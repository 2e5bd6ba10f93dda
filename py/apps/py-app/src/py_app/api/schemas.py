"""Request and response bodies of the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from py_core.database.models import ApiToken, User

T = TypeVar("T")


class Input(BaseModel):
    """Unknown fields are refused, so a typo is an error rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class RegisterIn(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)
    display_name: str = Field(max_length=200)


class LoginIn(Input):
    email: str = Field(max_length=320)
    password: str = Field(max_length=1024)


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
    name: str = Field(max_length=200)
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
