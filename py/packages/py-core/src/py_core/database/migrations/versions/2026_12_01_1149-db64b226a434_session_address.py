"""session address: where each session was last used from, for the user's list

Revision ID: db64b226a434
Revises: 87a76218983d
Create Date: 2026-12-01 11:49:24+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "db64b226a434"
down_revision: str | None = "87a76218983d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing sessions get theirs with their next use.
    op.add_column("user_sessions", sa.Column("address", sa.String(length=64), nullable=True))


def downgrade() -> None:
    # SQLite has dropped columns natively since 3.35: no table rebuild.
    op.execute("ALTER TABLE user_sessions DROP COLUMN address")
