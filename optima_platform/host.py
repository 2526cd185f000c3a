"""The host: enabled plugins, their settings, and the services they share (db, cache, sockets, jobs).

``Host.build`` discovers plugins and decides what runs without connecting to anything; the
connections are opened by the app's lifespan (``start``) or by a CLI command that needs them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
from litestar.stores.base import Store

from optima_platform.cache.lease import Leases
from optima_platform.cache.stores import Stores
from optima_platform.db.engine import Database
from optima_platform.db.migrations import Lineage
from optima_platform.hooks.contributions import Job, PluginDatabase, SocketEvent
from optima_platform.hooks.facade import Hooks
from optima_platform.hooks.registry import (
    InstalledPlugin,
    PluginError,
    discover,
    make_manager,
    resolve_enabled,
)
from optima_platform.jobs.models import HostBase
from optima_platform.jobs.scheduler import RegisteredJob, Scheduler
from optima_platform.permissions.registry import PermissionRegistry
from optima_platform.realtime.server import Realtime
from optima_platform.settings import Settings, SettingsError, plugin_settings

log = logging.getLogger("optima")

HOST_LINEAGE = Lineage("host", PluginDatabase(HostBase.metadata, Path(__file__).parent / "db" / "host_versions"))


@dataclass
class RouteInfo:
    """One served route as ``optima routes`` and ``usedIn`` see it."""

    method: str
    path: str
    plugin: str
    auth: str
    permissions: list[str]
    gate: str | None
    conditional: dict[str, str]

    def as_json(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "plugin": self.plugin,
            "auth": self.auth,
            "permissions": self.permissions,
            "fieldGate": self.gate,
            "conditionalPermissions": self.conditional,
        }


class Host:
    """Everything the enabled plugins share; handlers reach it as the ``host`` dependency."""

    def __init__(
        self,
        settings: Settings,
        installed: dict[str, InstalledPlugin],
        enabled: list[str],
        *,
        introspect: bool = False,
    ) -> None:
        self.settings = settings
        self.installed = installed
        self.enabled = enabled
        self.introspect = introspect
        self.pm = make_manager([installed[name] for name in enabled])
        self.hooks = Hooks(self.pm, enabled)
        self.plugin_settings: dict[str, msgspec.Struct | None] = {}
        self._validate_settings()
        self.permissions = PermissionRegistry()
        for plugin, categories in self.hooks.collect("optima_permissions"):
            for category in categories:
                self.permissions.add_category(plugin, category)
        for plugin, gates in self.hooks.collect("optima_field_gates"):
            for gate in gates:
                self.permissions.add_gate(plugin, gate)
        self.jobs: list[RegisteredJob] = [
            RegisteredJob(plugin, job) for plugin, jobs in self.hooks.collect("optima_jobs") for job in jobs
        ]
        self._check_unique_jobs(self.jobs)
        self.socket_events: list[tuple[str, SocketEvent]] = [
            (plugin, event) for plugin, events in self.hooks.collect("optima_socket_events") for event in events
        ]
        self.lineages: list[Lineage] = [HOST_LINEAGE] + [
            Lineage(plugin, database) for plugin, database in self.hooks.collect("optima_database")
        ]
        self.routes: list[RouteInfo] = []
        self.db = Database(settings.database_url)
        self.stores = Stores(settings.redis_url, settings.cache_prefix)
        self.leases = Leases(self.stores.redis, f"{settings.cache_prefix}:lease")
        self.realtime = Realtime(self, self.socket_events)
        self.scheduler = Scheduler(self, self.jobs)
        self.state: dict[str, Any] = {}

    @classmethod
    def build(cls, settings: Settings, *, extra_plugins: Iterable[Any] = (), introspect: bool = False) -> Host:
        """Discover plugins, resolve what is enabled and validate settings (raises PluginError)."""
        installed = discover(extra_plugins)
        enabled = resolve_enabled(installed, settings.plugins.enabled)
        return cls(settings, installed, enabled, introspect=introspect)

    def _validate_settings(self) -> None:
        known_sections = {"plugins"} | {p.manifest.section.split(".")[0] for p in self.installed.values()}
        plugin_sections = {
            p.manifest.section.split(".", 1)[1]
            for p in self.installed.values()
            if p.manifest.section.startswith("plugins.")
        }
        for key in self.settings.sections:
            if key not in known_sections and not self.introspect:
                raise SettingsError(f"unknown setting {key}: no installed plugin reads it; remove it")
        for key in self.settings.section("plugins"):
            if key not in plugin_sections and not self.introspect:
                raise SettingsError(f"unknown setting plugins.{key}: no installed plugin is named {key}; remove it")
        for name in self.enabled:
            manifest = self.installed[name].manifest
            if manifest.settings is None:
                self.plugin_settings[name] = None
                continue
            try:
                value = plugin_settings(self.settings, manifest.section, manifest.settings)
            except SettingsError:
                if not self.introspect:
                    raise
                value = None
            if value is not None and not self.introspect:
                for key in manifest.required_settings:
                    if getattr(value, key, None) in (None, ""):
                        raise PluginError(
                            f"plugin {name}: setting {manifest.section}.{key} is required; set it in "
                            f"optima.toml or disable {name}"
                        )
            self.plugin_settings[name] = value

    @staticmethod
    def _check_unique_jobs(jobs: list[RegisteredJob]) -> None:
        seen: dict[str, str] = {}
        for registered in jobs:
            if registered.job.name in seen:
                raise PluginError(
                    f"plugin {registered.plugin}: job {registered.job.name} is already registered by "
                    f"{seen[registered.job.name]}; rename it"
                )
            seen[registered.job.name] = registered.plugin

    def settings_for(self, plugin: str) -> Any:
        """The plugin's validated settings struct (None when it declares none)."""
        return self.plugin_settings.get(plugin)

    def store(self, plugin: str) -> Store:
        """The plugin's own cache namespace."""
        return self.stores.namespace(plugin)

    def is_enabled(self, plugin: str) -> bool:
        return plugin in self.enabled

    def jobs_of(self, plugin: str) -> list[Job]:
        return [r.job for r in self.jobs if r.plugin == plugin]

    def manifest_json(self) -> list[dict[str, Any]]:
        """Each installed plugin and what it contributes (``optima plugins list``, ``GET /v1/plugins``)."""
        out = []
        for name in sorted(self.installed, key=lambda n: (not self.installed[n].manifest.essential, n)):
            manifest = self.installed[name].manifest
            enabled = name in self.enabled
            out.append(
                {
                    "name": name,
                    "version": manifest.version,
                    "description": manifest.description,
                    "enabled": enabled,
                    "essential": manifest.essential,
                    "requires": list(manifest.requires),
                    "routes": [f"{r.method} {r.path}" for r in self.routes if r.plugin == name],
                    "permissions": sorted(n.node for n in self.permissions.nodes.values() if n.plugin == name),
                    "jobs": [j.name for j in self.jobs_of(name)],
                    "events": self.realtime.events_of(name),
                }
            )
        return out

    async def start(self) -> None:
        """Open connections and call every plugin's ``optima_startup``."""
        await self.hooks.acollect("optima_startup", host=self)

    async def stop(self) -> None:
        await self.scheduler.stop()
        await self.hooks.call_reversed("optima_shutdown", host=self)
        await self.db.dispose()
        await self.stores.close()
