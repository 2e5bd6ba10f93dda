"""administration: the site's registration mode, invites, the audit log, and users who
must choose a new password

Revision ID: c41d7a9e2b60
Revises: e51a0c7d2b19
Create Date: 2026-12-01 12:40:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c41d7a9e2b60"
down_revision: str | None = "e51a0c7d2b19"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER and CREATE, never batch mode: a rebuilt table on SQLite loses the
    # full-text search triggers (see CHAT.md, Search).
    op.add_column(
        "users",
        sa.Column(
            "password_change_required", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.create_table(
        "site_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration", sa.String(length=32), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_site_settings")),
    )
    op.create_table(
        "invites",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by_id", sa.String(length=36), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_invites_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["used_by_id"],
            ["users.id"],
            name=op.f("fk_invites_used_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invites")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invites_token_hash")),
    )
    op.create_index(op.f("ix_invites_created_by_id"), "invites", ["created_by_id"])
    op.create_index(op.f("ix_invites_used_by_id"), "invites", ["used_by_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("actor_id", sa.String(length=36), nullable=True),
        sa.Column("actor_name", sa.String(length=320), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target_id", sa.String(length=36), nullable=True),
        sa.Column("target_name", sa.String(length=320), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_log_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index("ix_audit_log_target_id_id", "audit_log", ["target_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_target_id_id", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index(op.f("ix_invites_used_by_id"), table_name="invites")
    op.drop_index(op.f("ix_invites_created_by_id"), table_name="invites")
    op.drop_table("invites")
    op.drop_table("site_settings")
    # SQLite has dropped columns natively since 3.35: no table rebuild (see upgrade).
    op.execute("ALTER TABLE users DROP COLUMN password_change_required")
