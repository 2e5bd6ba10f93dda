"""message tree: a parent per message, an active leaf per thread

Revision ID: b3a9e5f17c42
Revises: 7d2e4c1a9b30
Create Date: 2026-12-01 11:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b3a9e5f17c42"
down_revision: str | None = "7d2e4c1a9b30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: rebuilding `messages` on SQLite would drop the
    # full-text search triggers (see CHAT.md, Search).
    op.add_column("messages", sa.Column("parent_id", sa.String(length=36), nullable=True))
    op.add_column("threads", sa.Column("active_leaf_id", sa.String(length=36), nullable=True))
    # Every thread so far is one line: each message follows the one before it (ids are
    # uuid7, so id order is the order they were written), and the last one is the leaf.
    op.execute(
        """
        UPDATE messages SET parent_id = (
            SELECT MAX(earlier.id) FROM messages AS earlier
            WHERE earlier.thread_id = messages.thread_id AND earlier.id < messages.id
        )
        """
    )
    op.execute(
        """
        UPDATE threads SET active_leaf_id = (
            SELECT MAX(messages.id) FROM messages WHERE messages.thread_id = threads.id
        )
        """
    )
    op.create_index("ix_messages_thread_parent_id", "messages", ["thread_id", "parent_id", "id"])


def downgrade() -> None:
    # Every message stays; the thread reads as one line in id order again, with the
    # branches interleaved by time.
    op.drop_index("ix_messages_thread_parent_id", table_name="messages")
    # SQLite has dropped columns natively since 3.35; no table rebuild (see upgrade).
    op.execute("ALTER TABLE threads DROP COLUMN active_leaf_id")
    op.execute("ALTER TABLE messages DROP COLUMN parent_id")
