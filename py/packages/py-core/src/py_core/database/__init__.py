"""Database: the declarative base, engines, sessions, column types and models."""

from py_core.database.base import (
    DEFAULT_DATABASE_URL,
    Base,
    create_engine,
    create_session_factory,
    database_url,
    get_session,
    session_scope,
)

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Base",
    "create_engine",
    "create_session_factory",
    "database_url",
    "get_session",
    "session_scope",
]
