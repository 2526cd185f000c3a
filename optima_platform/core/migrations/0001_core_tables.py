"""core: users, roles, sessions, API keys, companies; the admin role

Revision ID: core_0001
Revises:
Create Date: 2026-12-03 09:48:52.456146
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optima_platform.db.base
from optima_platform.db.base import new_id, utcnow

revision: str = "core_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "companies",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("cw_company_id", sa.BigInteger(), nullable=True),
        sa.Column("cw_identifier", sa.String(length=200), nullable=True),
        sa.Column("cw_data", sa.JSON(), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("cw_company_id", name=op.f("uq_companies_cw_company_id")),
    )
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_companies_cw_identifier"), ["cw_identifier"], unique=False)
        batch_op.create_index("ix_companies_name", ["name"], unique=False)

    op.create_table(
        "roles",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("moniker", sa.String(length=100), nullable=False),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("moniker", name=op.f("uq_roles_moniker")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("oid", sa.String(length=64), nullable=True),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("login", sa.String(length=200), nullable=False),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("permissions", sa.JSON(), nullable=False),
        sa.Column("perm_version", sa.Integer(), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("oid", name=op.f("uq_users_oid")),
    )
    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_keys_user_id"), ["user_id"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("refresh_hash", sa.String(length=64), nullable=False),
        sa.Column("access_jti", sa.String(length=64), nullable=True),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=100), nullable=True),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.Column("user_agent", sa.String(length=400), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sessions_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sessions")),
        sa.UniqueConstraint("refresh_hash", name=op.f("uq_sessions_refresh_hash")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)

    op.create_table(
        "user_roles",
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("role_id", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_user_roles_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_roles_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "role_id", name=op.f("pk_user_roles")),
    )
    op.create_table(
        "spent_refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=32), nullable=False),
        sa.Column("spent_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_spent_refresh_tokens_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_spent_refresh_tokens")),
    )
    with op.batch_alter_table("spent_refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_spent_refresh_tokens_session_id"), ["session_id"], unique=False)
    roles = sa.table(
        "roles",
        sa.column("id", sa.String),
        sa.column("title", sa.String),
        sa.column("moniker", sa.String),
        sa.column("permissions", sa.JSON),
        sa.column("created_at", optima_platform.db.base.UTCDateTime()),
        sa.column("updated_at", optima_platform.db.base.UTCDateTime()),
    )
    now = utcnow()
    op.bulk_insert(
        roles,
        [
            {
                "id": new_id(),
                "title": "Administrator",
                "moniker": "admin",
                "permissions": ["*"],
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def downgrade() -> None:
    with op.batch_alter_table("spent_refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_spent_refresh_tokens_session_id"))

    op.drop_table("spent_refresh_tokens")
    op.drop_table("user_roles")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_keys_user_id"))

    op.drop_table("api_keys")
    op.drop_table("users")
    op.drop_table("roles")
    with op.batch_alter_table("companies", schema=None) as batch_op:
        batch_op.drop_index("ix_companies_name")
        batch_op.drop_index(batch_op.f("ix_companies_cw_identifier"))

    op.drop_table("companies")
