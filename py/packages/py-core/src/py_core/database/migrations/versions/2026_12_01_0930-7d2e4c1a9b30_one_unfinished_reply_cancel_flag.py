"""one unfinished reply per thread, cancel flag

Revision ID: 7d2e4c1a9b30
Revises: 11c1cf589edb
Create Date: 2026-12-01 09:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d2e4c1a9b30"
down_revision: str | None = "11c1cf589edb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNFINISHED = "role = 'assistant' AND status IN ('pending', 'streaming')"


def upgrade() -> None:
    # Stops now travel as the flag below; the event that carried them is gone.
    op.execute("DELETE FROM event_outbox WHERE type = 'message.cancel_requested'")
    # A second unfinished reply in a thread could only come from a race the old code
    # lost; end all but the newest so the unique index can be built.
    op.execute(
        f"""
        UPDATE messages SET status = 'failed',
            error = 'interrupted: the server stopped while writing this reply. Try again.'
        WHERE {_UNFINISHED} AND id NOT IN (
            SELECT MAX(id) FROM messages WHERE {_UNFINISHED} GROUP BY thread_id
        )
        """
    )
    # Plain ALTER TABLE, not batch mode: rebuilding `messages` on SQLite would drop the
    # full-text search triggers (see CHAT.md, Search).
    op.add_column(
        "messages",
        sa.Column("cancel_requested", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.create_index(
        "uq_messages_thread_id_unfinished",
        "messages",
        ["thread_id"],
        unique=True,
        sqlite_where=sa.text(_UNFINISHED),
        postgresql_where=sa.text(_UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index("uq_messages_thread_id_unfinished", table_name="messages")
    # SQLite has dropped columns natively since 3.35; no table rebuild (see upgrade).
    op.execute("ALTER TABLE messages DROP COLUMN cancel_requested")
