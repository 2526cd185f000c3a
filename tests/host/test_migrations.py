"""Every enabled lineage migrates from empty to head, and its models agree with its migrations."""

from __future__ import annotations

import msgspec

from optima_platform.db import migrations
from optima_platform.host import Host
from optima_platform.settings import PluginsSettings
from optima_platform.testing.fixtures import DatabaseFactory, make_settings
from tests.host.probe_plugin import ProbePlugin


async def test_models_and_migrations_agree(databases: DatabaseFactory) -> None:
    """Every installed plugin's lineage (introspection: no plugin settings needed to migrate)."""
    settings = make_settings(await databases.create())
    everything = msgspec.structs.replace(settings, plugins=PluginsSettings(enabled=None))
    host = Host.build(everything, introspect=True)
    assert set(host.enabled) == set(host.installed)
    try:
        await migrations.upgrade(host.db, host.lineages)
        state = await migrations.current(host.db, host.lineages)
        for lineage in host.lineages:
            assert state[lineage.plugin]["current"] == state[lineage.plugin]["head"] is not None
            diff = await migrations.differences(host.db, lineage)
            assert diff == [], f"{lineage.plugin}: models and migrations differ: {diff}"
    finally:
        await host.db.dispose()


async def test_only_enabled_lineages_run_and_disabled_tables_stay(databases: DatabaseFactory) -> None:
    url = await databases.create()
    host = Host.build(make_settings(url, plugins=["core"]), extra_plugins=[ProbePlugin()])
    try:
        assert [lineage.plugin for lineage in host.lineages] == ["host", "core"]
        await migrations.upgrade(host.db, host.lineages)
        await migrations.upgrade(host.db, host.lineages)
        state = await migrations.current(host.db, host.lineages)
        assert set(state) == {"host", "core"}
    finally:
        await host.db.dispose()
