"""Demo mode: plugins start their simulators in-process, point their settings at them, seed data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from optima_platform.servers import TaskServer
from optima_platform.settings import Settings


@dataclass
class DemoRun:
    """What the demo set up: simulators running, settings overrides, lines to print."""

    servers: list[TaskServer] = field(default_factory=list)
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)

    def for_plugin(self, plugin: str, section: str) -> Demo:
        return Demo(self, plugin, section)

    def apply(self, settings: Settings) -> Settings:
        """Settings with each plugin's demo overrides merged into its section."""
        sections = {key: dict(value) if isinstance(value, dict) else value for key, value in settings.sections.items()}
        for section, values in self.overrides.items():
            node = sections
            parts = section.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
            node[parts[-1]] = {**node.get(parts[-1], {}), **values}
        return msgspec.structs.replace(settings, sections=sections)

    async def stop(self) -> None:
        for server in reversed(self.servers):
            await server.stop()


@dataclass
class Demo:
    """One plugin's view of the demo: ``serve`` a simulator, ``configure`` settings, ``say`` a line."""

    run: DemoRun
    plugin: str
    section: str
    state: dict[str, Any] = field(default_factory=dict)

    async def serve(self, app: Any) -> str:
        """Run an ASGI app on a free loopback port on this event loop; returns its base URL."""
        server = await TaskServer(app).start()
        self.run.servers.append(server)
        return server.url

    def configure(self, key: str, value: Any) -> None:
        self.run.overrides.setdefault(self.section, {})[key] = value

    def say(self, line: str) -> None:
        self.run.lines.append(line)
