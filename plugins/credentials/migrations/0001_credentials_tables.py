"""credentials: types, credentials, field values and the append-only audit trail

Revision ID: credentials_0001
Revises:
Create Date: 2026-12-03 10:03:11.254536
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import optima_platform.db.base

revision: str = "credentials_0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "credentials_audit is append-only"

SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER credentials_audit_no_update BEFORE UPDATE ON credentials_audit
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER credentials_audit_no_delete BEFORE DELETE ON credentials_audit
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
]
POSTGRES_TRIGGERS = [
    f"""CREATE FUNCTION credentials_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$""",
    """CREATE TRIGGER credentials_audit_no_change BEFORE UPDATE OR DELETE ON credentials_audit
    FOR EACH ROW EXECUTE FUNCTION credentials_audit_append_only()""",
    """CREATE TRIGGER credentials_audit_no_truncate BEFORE TRUNCATE ON credentials_audit
    FOR EACH STATEMENT EXECUTE FUNCTION credentials_audit_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "credentials_audit",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=True),
        sa.Column("api_key_id", sa.String(length=32), nullable=True),
        sa.Column("client_address", sa.String(length=100), nullable=True),
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("root_id", sa.String(length=32), nullable=False),
        sa.Column("credential_name", sa.String(length=255), nullable=False),
        sa.Column("type_id", sa.String(length=32), nullable=True),
        sa.Column("company_id", sa.String(length=32), nullable=True),
        sa.Column("field_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_audit")),
    )
    with op.batch_alter_table("credentials_audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_audit_credential_id"), ["credential_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_audit_root_id"), ["root_id"], unique=False)
        batch_op.create_index("ix_credentials_audit_user_action", ["user_id", "action"], unique=False)
    for statement in POSTGRES_TRIGGERS if op.get_bind().dialect.name == "postgresql" else SQLITE_TRIGGERS:
        op.execute(statement)

    op.create_table(
        "credentials_types",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("name_key", sa.String(length=600), nullable=False),
        sa.Column("permission_scope", sa.String(length=100), nullable=True),
        sa.Column("icon", sa.String(length=2048), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_types")),
        sa.UniqueConstraint("name_key", name=op.f("uq_credentials_types_name_key")),
    )
    op.create_table(
        "credentials_credentials",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("type_id", sa.String(length=32), nullable=False),
        sa.Column("company_id", sa.String(length=32), nullable=False),
        sa.Column("parent_id", sa.String(length=32), nullable=True),
        sa.Column("field_path", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["companies.id"],
            name=op.f("fk_credentials_credentials_company_id_companies"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["credentials_credentials.id"],
            name=op.f("fk_credentials_credentials_parent_id_credentials_credentials"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["type_id"],
            ["credentials_types.id"],
            name=op.f("fk_credentials_credentials_type_id_credentials_types"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_credentials")),
    )
    with op.batch_alter_table("credentials_credentials", schema=None) as batch_op:
        batch_op.create_index("ix_credentials_credentials_company_name", ["company_id", "name"], unique=False)
        batch_op.create_index(batch_op.f("ix_credentials_credentials_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index("ix_credentials_credentials_type_path", ["type_id", "field_path"], unique=False)

    op.create_table(
        "credentials_values",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("credential_id", sa.String(length=32), nullable=False),
        sa.Column("field_id", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("secure", sa.Boolean(), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("changed_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", optima_platform.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credential_id"],
            ["credentials_credentials.id"],
            name=op.f("fk_credentials_values_credential_id_credentials_credentials"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_values")),
        sa.UniqueConstraint("credential_id", "field_id", name="uq_credentials_values_credential_field"),
    )
    with op.batch_alter_table("credentials_values", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credentials_values_key_id"), ["key_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("credentials_values", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_values_key_id"))
    op.drop_table("credentials_values")
    with op.batch_alter_table("credentials_credentials", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_credentials_type_path")
        batch_op.drop_index(batch_op.f("ix_credentials_credentials_parent_id"))
        batch_op.drop_index("ix_credentials_credentials_company_name")
    op.drop_table("credentials_credentials")
    op.drop_table("credentials_types")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER credentials_audit_no_truncate ON credentials_audit")
        op.execute("DROP TRIGGER credentials_audit_no_change ON credentials_audit")
        op.execute("DROP FUNCTION credentials_audit_append_only()")
    else:
        op.execute("DROP TRIGGER credentials_audit_no_delete")
        op.execute("DROP TRIGGER credentials_audit_no_update")
    with op.batch_alter_table("credentials_audit", schema=None) as batch_op:
        batch_op.drop_index("ix_credentials_audit_user_action")
        batch_op.drop_index(batch_op.f("ix_credentials_audit_root_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_audit_credential_id"))
        batch_op.drop_index(batch_op.f("ix_credentials_audit_at"))
    op.drop_table("credentials_audit")
