"""budgets, prices and model access: the cost of each reply and call, the holds of
replies and calls in flight, budget limits, and who may use which model

Revision ID: a7c3e9b15d42
Revises: c41d7a9e2b60
Create Date: 2026-12-01 13:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a7c3e9b15d42"
down_revision: str | None = "c41d7a9e2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: rebuilding `messages` on SQLite would drop the
    # full-text search triggers (see CHAT.md, Search).
    op.add_column("messages", sa.Column("cost_nanos", sa.BigInteger(), nullable=True))
    op.add_column(
        "messages",
        sa.Column("reserved_tokens", sa.Integer(), server_default="0", nullable=False),
    )
    op.add_column(
        "messages",
        sa.Column("reserved_cost_nanos", sa.BigInteger(), server_default="0", nullable=False),
    )
    op.add_column("usage_records", sa.Column("cost_nanos", sa.BigInteger(), nullable=True))
    op.create_table(
        "budget_limits",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=True),
        sa.Column("period", sa.String(length=32), nullable=False),
        sa.Column("max_tokens", sa.BigInteger(), nullable=True),
        sa.Column("max_cost_nanos", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_budget_limits_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_limits")),
    )
    op.create_index(
        "uq_budget_limits_user_period", "budget_limits", ["user_id", "period"], unique=True
    )
    op.create_index(
        "uq_budget_limits_default_period",
        "budget_limits",
        ["period"],
        unique=True,
        sqlite_where=sa.text("user_id IS NULL"),
        postgresql_where=sa.text("user_id IS NULL"),
    )
    op.create_table(
        "budget_reservations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("user_id", sa.String(length=36), nullable=False),
        sa.Column("tokens", sa.Integer(), nullable=False),
        sa.Column("cost_nanos", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_budget_reservations_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_budget_reservations")),
    )
    op.create_index(
        "ix_budget_reservations_user_id", "budget_reservations", ["user_id", "expires_at"]
    )
    op.create_table(
        "model_access",
        sa.Column("model_id", sa.String(length=100), nullable=False),
        sa.Column("everyone", sa.Boolean(), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("user_ids", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("model_id", name=op.f("pk_model_access")),
    )


def downgrade() -> None:
    op.drop_table("model_access")
    op.drop_index("ix_budget_reservations_user_id", table_name="budget_reservations")
    op.drop_table("budget_reservations")
    op.drop_index("uq_budget_limits_default_period", table_name="budget_limits")
    op.drop_index("uq_budget_limits_user_period", table_name="budget_limits")
    op.drop_table("budget_limits")
    # SQLite has dropped columns natively since 3.35; no table rebuild (see upgrade).
    op.execute("ALTER TABLE usage_records DROP COLUMN cost_nanos")
    op.execute("ALTER TABLE messages DROP COLUMN reserved_cost_nanos")
    op.execute("ALTER TABLE messages DROP COLUMN reserved_tokens")
    op.execute("ALTER TABLE messages DROP COLUMN cost_nanos")
