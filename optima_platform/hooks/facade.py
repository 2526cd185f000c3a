"""A typed front for ``pm.hook.*``: calls each enabled plugin's hook and keeps who answered what."""

from __future__ import annotations

import inspect
from typing import Any

import pluggy

from optima_platform.hooks.registry import PluginError, resolve


class Hooks:
    """Calls hooks on the enabled plugins only; results come back paired with the plugin's name."""

    def __init__(self, pm: pluggy.PluginManager, order: list[str]) -> None:
        self.pm = pm
        self.order = order

    def _impls(self, name: str) -> list[pluggy.HookImpl]:
        impls = getattr(self.pm.hook, name).get_hookimpls()
        rank = {plugin: i for i, plugin in enumerate(self.order)}
        return sorted(impls, key=lambda impl: rank.get(impl.plugin_name, len(rank)))

    def collect(self, name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a synchronous hook on each plugin in start-up order: ``[(plugin, result), ...]``."""
        out = []
        for impl in self._impls(name):
            result = impl.function(*(kwargs[arg] for arg in impl.argnames))
            if inspect.isawaitable(result):
                close = getattr(result, "close", None)
                if close is not None:
                    close()
                raise PluginError(f"plugin {impl.plugin_name}: hook {name} must be a plain function, not async")
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    async def acollect(self, name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Like ``collect`` but awaits coroutine results."""
        out = []
        for impl in self._impls(name):
            result = await resolve(impl.function(*(kwargs[arg] for arg in impl.argnames)))
            if result is not None:
                out.append((impl.plugin_name, result))
        return out

    async def afirst(self, name: str, **kwargs: Any) -> Any:
        """The first non-None result of a hook, awaiting each in turn."""
        for impl in self._impls(name):
            result = await resolve(impl.function(*(kwargs[arg] for arg in impl.argnames)))
            if result is not None:
                return result
        return None

    async def call_reversed(self, name: str, **kwargs: Any) -> None:
        """Call a hook on each plugin in reverse start-up order (shutdown)."""
        for impl in reversed(self._impls(name)):
            await resolve(impl.function(*(kwargs[arg] for arg in impl.argnames)))
