"""A typed front for ``pm.hook.*``: calls each enabled plugin's hook and keeps who answered what."""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any

import pluggy

from optima_platform.hooks.registry import PluginError, resolve


def _run_to_completion(awaitable: Any, what: str) -> Any:
    """The value of a coroutine returned by a contribution hook, awaited on an event loop of its own
    (a worker thread's when this thread already runs one). Contribution hooks should not do I/O."""

    async def wait() -> Any:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(wait())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="optima-hook") as pool:
        try:
            return pool.submit(asyncio.run, wait()).result(timeout=30)
        except concurrent.futures.TimeoutError:
            raise PluginError(f"{what} did not return within 30 seconds") from None


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
        """Call a hook on each plugin in start-up order: ``[(plugin, result), ...]``; coroutine
        results are awaited to completion (so contribution hooks may be async)."""
        out = []
        for impl in self._impls(name):
            result = impl.function(*(kwargs[arg] for arg in impl.argnames))
            if inspect.isawaitable(result):
                result = _run_to_completion(result, f"plugin {impl.plugin_name}: hook {name}")
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
