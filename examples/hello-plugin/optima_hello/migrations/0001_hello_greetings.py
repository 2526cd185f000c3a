"""hello: the hello_greetings table

Revision ID: hello_0001
Revises:
Create Date: 2026-12-03 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optima_platform.db.base

revision: str = "hello_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hello_greetings",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("message", sa.String(length=300), nullable=False),
        sa.Column("created_by", sa.String(length=32), nullable=True),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hello_greetings")),
    )
    with op.batch_alter_table("hello_greetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_hello_greetings_created_by"), ["created_by"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("hello_greetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_hello_greetings_created_by"))

    op.drop_table("hello_greetings")
