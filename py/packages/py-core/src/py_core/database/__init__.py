"""Database: the declarative base, engines, sessions, column types and models."""

from py_core.database.base import (
    DEFAULT_DATABASE_URL,
    Base,
    create_engine,
    create_session_factory,
    database_url,
    get_session,
    session_scope,
    writer_engine,
)
from py_core.database.busy import is_database_busy, is_database_unreachable

__all__ = [
    "DEFAULT_DATABASE_URL",
    "Base",
    "create_engine",
    "create_session_factory",
    "database_url",
    "get_session",
    "is_database_busy",
    "is_database_unreachable",
    "session_scope",
    "writer_engine",
]
