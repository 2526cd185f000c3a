"""Alembic environment shared by every plugin lineage; the host passes the connection and metadata."""

from alembic import context

config = context.config
metadata = config.attributes["metadata"]
tables = set(metadata.tables)


def include_name(name, type_, parent_names):
    if type_ == "table":
        return name in tables
    return True


context.configure(
    connection=config.attributes["connection"],
    target_metadata=metadata,
    version_table=config.attributes["version_table"],
    include_name=include_name,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
