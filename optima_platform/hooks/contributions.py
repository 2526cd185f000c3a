"""What a plugin contributes through its hooks: plain, typed declarations the host reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import msgspec
    from sqlalchemy import MetaData

    from optima_platform.host import Host


@dataclass(frozen=True)
class PluginManifest:
    """Who a plugin is: returned by ``optima_plugin``.

    ``requires`` names plugins that must be enabled too; ``settings`` is the msgspec Struct that
    validates the plugin's config section (``[plugins.<name>]`` unless ``settings_key`` says else);
    ``required_settings`` are keys that must be set for the plugin to start; ``essential`` plugins
    cannot be disabled.
    """

    name: str
    version: str
    description: str = ""
    requires: tuple[str, ...] = ()
    settings: type[msgspec.Struct] | None = None
    settings_key: str | None = None
    required_settings: tuple[str, ...] = ()
    essential: bool = False

    @property
    def section(self) -> str:
        return self.settings_key or f"plugins.{self.name}"


@dataclass(frozen=True)
class PermissionNode:
    """One permission node, e.g. ``company.fetch``; ``dependencies`` are nodes it implies a need for."""

    node: str
    description: str
    dependencies: tuple[str, ...] = ()


@dataclass(frozen=True)
class PermissionCategory:
    """A named group of nodes as ``GET /v1/permissions`` shows it, keyed by ``key`` (``company``)."""

    key: str
    name: str
    description: str
    nodes: tuple[PermissionNode, ...]


@dataclass(frozen=True)
class FieldGate:
    """An object type whose response keys are gated: each key needs ``<scope>.<field>``.

    ``scope`` is e.g. ``obj.user``; ``fields`` lists the keys the object can carry. The host
    generates the nodes ``<scope>.*`` and ``<scope>.<field>`` from it.
    """

    scope: str
    type_name: str
    fields: tuple[str, ...]
    descriptions: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class PluginDatabase:
    """A plugin's models and its own Alembic lineage (a ``versions`` directory)."""

    metadata: MetaData
    migrations: Path


JobFunction = Callable[["Host"], Awaitable[None]]


@dataclass(frozen=True)
class Job:
    """A scheduled job: ``run(host)`` every ``interval`` seconds, at most one copy across instances."""

    name: str
    interval: float
    run: JobFunction
    description: str = ""
    run_at_start: bool = True


SocketHandler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class SocketEvent:
    """A Socket.IO handler: ``event`` on ``namespace`` (``connect``/``disconnect`` included).

    ``event="*"`` catches every event of the namespace that has no handler of its own.
    """

    namespace: str
    event: str
    handler: SocketHandler
    description: str = ""
