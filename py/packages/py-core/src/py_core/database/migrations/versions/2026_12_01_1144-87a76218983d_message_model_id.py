"""message model id: a reply stores the catalog id of its model beside the provider's name

Revision ID: 87a76218983d
Revises: b3a9e5f17c42
Create Date: 2026-12-01 11:44:12.878811+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "87a76218983d"
down_revision: str | None = "b3a9e5f17c42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: rebuilding `messages` on SQLite would drop the
    # full-text search triggers (see CHAT.md, Search).
    op.add_column("messages", sa.Column("model_id", sa.String(length=100), nullable=True))
    # Replies written before knew only the provider's name; their thread's model is the
    # best guess of the id (a thread rarely changes model).
    op.execute(
        """
        UPDATE messages SET model_id = (
            SELECT threads.model_id FROM threads WHERE threads.id = messages.thread_id
        )
        WHERE role = 'assistant' AND model_name IS NOT NULL
        """
    )


def downgrade() -> None:
    # SQLite has dropped columns natively since 3.35; no table rebuild (see upgrade).
    op.execute("ALTER TABLE messages DROP COLUMN model_id")
