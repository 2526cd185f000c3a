"""Per-plugin Alembic lineages: each plugin has its own versions directory and version table.

Only enabled plugins' lineages run, in start-up order (requirements first), so a plugin's tables
may reference its requirements' tables. A disabled plugin's tables are left untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from optima_platform.db.engine import Database
from optima_platform.hooks.contributions import PluginDatabase

ENV_DIR = Path(__file__).parent / "alembic"
# Alembic narrates every step at INFO; the CLI reports what it did itself.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Lineage:
    """One plugin's migrations: its name, metadata and versions directory."""

    plugin: str
    database: PluginDatabase

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.plugin}"


def _config(lineage: Lineage, connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ENV_DIR))
    cfg.set_main_option("version_locations", str(lineage.database.migrations))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["connection"] = connection
    cfg.attributes["metadata"] = lineage.database.metadata
    cfg.attributes["version_table"] = lineage.version_table
    return cfg


def head_of(lineage: Lineage) -> str | None:
    return ScriptDirectory.from_config(_config(lineage)).get_current_head()


async def upgrade(db: Database, lineages: Sequence[Lineage], revision: str = "head") -> None:
    """Bring every lineage to ``revision`` (``head`` by default), in order."""
    for lineage in lineages:
        async with db.engine.begin() as conn:
            await conn.run_sync(lambda sync, lin=lineage: command.upgrade(_config(lin, sync), revision))


async def downgrade(db: Database, lineage: Lineage, revision: str) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(lambda sync: command.downgrade(_config(lineage, sync), revision))


async def current(db: Database, lineages: Sequence[Lineage]) -> dict[str, dict[str, Any]]:
    """Per lineage: the applied revision and the head it could reach."""

    def read(sync: Connection, lineage: Lineage) -> str | None:
        ctx = MigrationContext.configure(sync, opts={"version_table": lineage.version_table})
        return ctx.get_current_revision()

    out: dict[str, dict[str, Any]] = {}
    async with db.engine.connect() as conn:
        for lineage in lineages:
            applied = await conn.run_sync(read, lineage)
            out[lineage.plugin] = {"current": applied, "head": head_of(lineage)}
    return out


async def differences(db: Database, lineage: Lineage) -> list[Any]:
    """What differs between the migrated database and the lineage's models (empty when they agree)."""
    tables = set(lineage.database.metadata.tables)

    def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
        return name in tables if type_ == "table" else True

    def compare(sync: Connection) -> list[Any]:
        ctx = MigrationContext.configure(
            sync, opts={"include_name": include_name, "compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(ctx, lineage.database.metadata)

    async with db.engine.connect() as conn:
        return await conn.run_sync(compare)


async def revision(
    db: Database, lineage: Lineage, message: str, *, autogenerate: bool = False, rev_id: str | None = None
) -> None:
    """Write a new revision file into the lineage; ``autogenerate`` diffs the models against ``db``
    (migrate it to head first)."""
    if not autogenerate:
        command.revision(_config(lineage), message=message, head="head", rev_id=rev_id)
        return
    async with db.engine.connect() as conn:
        await conn.run_sync(
            lambda sync: command.revision(
                _config(lineage, sync), message=message, autogenerate=True, head="head", rev_id=rev_id
            )
        )
