"""jobs and thread source: background exports and imports, imported threads' origin

Revision ID: e51a0c7d2b19
Revises: db64b226a434
Create Date: 2026-12-01 12:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from py_core.database.utils import UTCDateTime

revision: str = "e51a0c7d2b19"
down_revision: str | None = "db64b226a434"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        sa.Column("report", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("file_path", sa.String(length=500), nullable=True),
        sa.Column("file_name", sa.String(length=255), nullable=True),
        sa.Column("claim_token", sa.String(length=36), nullable=True),
        sa.Column("lease_expires_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("expires_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_jobs_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index("ix_jobs_owner_id_id", "jobs", ["owner_id", "id"])
    op.create_index("ix_jobs_status_lease", "jobs", ["status", "lease_expires_at"])
    # Plain ALTER TABLE (no batch mode, which would rebuild the table on SQLite).
    op.add_column("threads", sa.Column("source", sa.String(length=32), nullable=True))
    op.add_column("threads", sa.Column("source_id", sa.String(length=200), nullable=True))
    op.create_index(
        "uq_threads_owner_source", "threads", ["owner_id", "source", "source_id"], unique=True
    )


def downgrade() -> None:
    # Imported threads stay, as threads made here.
    op.drop_index("uq_threads_owner_source", table_name="threads")
    op.execute("ALTER TABLE threads DROP COLUMN source_id")
    op.execute("ALTER TABLE threads DROP COLUMN source")
    op.drop_index("ix_jobs_status_lease", table_name="jobs")
    op.drop_index("ix_jobs_owner_id_id", table_name="jobs")
    op.drop_table("jobs")
