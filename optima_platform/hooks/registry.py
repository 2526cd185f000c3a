"""Plugin discovery (entry-point group ``optima.plugins``), enablement and requirement checks."""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy

from optima_platform.hooks import specs
from optima_platform.hooks.contributions import PluginManifest

ENTRY_POINT_GROUP = "optima.plugins"


class PluginError(Exception):
    """A plugin cannot be loaded or started; the message is one line naming the plugin and the fix."""


@dataclass(frozen=True)
class InstalledPlugin:
    """A discovered plugin: its module object and its manifest."""

    module: Any
    manifest: PluginManifest

    @property
    def name(self) -> str:
        return self.manifest.name


def _manifest_of(module: Any, origin: str) -> PluginManifest:
    declare = getattr(module, "optima_plugin", None)
    if declare is None:
        raise PluginError(f"plugin {origin}: defines no optima_plugin() hook; add one returning a manifest")
    manifest = declare()
    if not isinstance(manifest, PluginManifest):
        raise PluginError(f"plugin {origin}: optima_plugin() must return a PluginManifest")
    return manifest


def discover(extra: Iterable[Any] = ()) -> dict[str, InstalledPlugin]:
    """Load every plugin registered under ``optima.plugins``, plus ``extra`` plugin objects (tests)."""
    found: dict[str, InstalledPlugin] = {}
    candidates: list[tuple[str, Any]] = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            candidates.append((ep.name, ep.load()))
        except Exception as exc:
            raise PluginError(f"plugin {ep.name}: cannot be imported ({exc}); reinstall it or uninstall it") from None
    candidates += [(getattr(obj, "__name__", repr(obj)), obj) for obj in extra]
    for origin, module in candidates:
        manifest = _manifest_of(module, origin)
        if manifest.name in found and found[manifest.name].module is not module:
            raise PluginError(f"plugin {manifest.name}: installed twice; uninstall one of the two packages")
        found[manifest.name] = InstalledPlugin(module, manifest)
    return found


def resolve_enabled(installed: dict[str, InstalledPlugin], wanted: Sequence[str] | None) -> list[str]:
    """The enabled plugin names in start-up order (requirements first).

    ``wanted`` is the configured list (None: every installed plugin). Essential plugins are always
    enabled. Raises PluginError for an unknown name or an unmet requirement.
    """
    essential = [name for name, p in installed.items() if p.manifest.essential]
    if wanted is None:
        chosen = set(installed)
    else:
        unknown = [name for name in wanted if name not in installed]
        if unknown:
            raise PluginError(
                f"plugin {unknown[0]}: enabled in config but not installed; "
                f"install it or remove it from [plugins] enabled / OPTIMA_PLUGINS"
            )
        chosen = set(wanted) | set(essential)
    for name in sorted(chosen):
        for req in installed[name].manifest.requires:
            if req not in installed:
                raise PluginError(f"plugin {name}: requires plugin {req}, which is not installed; install {req}")
            if req not in chosen:
                raise PluginError(
                    f"plugin {name}: requires plugin {req}, which is disabled; enable {req} too or disable {name}"
                )
    return _start_order(installed, chosen)


def _start_order(installed: dict[str, InstalledPlugin], chosen: set[str]) -> list[str]:
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise PluginError(f"plugin {name}: its requirements form a cycle; break the cycle")
        visiting.add(name)
        for req in installed[name].manifest.requires:
            visit(req)
        visiting.discard(name)
        ordered.append(name)

    for name in sorted(chosen, key=lambda n: (not installed[n].manifest.essential, n)):
        visit(name)
    return ordered


def make_manager(plugins: Sequence[InstalledPlugin]) -> pluggy.PluginManager:
    """A plugin manager holding only ``plugins`` (the enabled ones), in order."""
    pm = pluggy.PluginManager(specs.PROJECT)
    pm.add_hookspecs(specs)
    for plugin in plugins:
        pm.register(plugin.module, name=plugin.name)
    pm.check_pending()
    return pm


async def resolve(value: Any) -> Any:
    """Await ``value`` if it is awaitable (hooks may be coroutines)."""
    if inspect.isawaitable(value):
        return await value
    return value


def plugin_of(module: ModuleType | Any, pm: pluggy.PluginManager) -> str | None:
    return pm.get_name(module)
