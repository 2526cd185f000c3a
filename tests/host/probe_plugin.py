"""A throwaway plugin the host tests register: a body route, a failing route, a node, a job."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Response

from optima_platform.hooks.contributions import (
    FieldGate,
    Job,
    PermissionCategory,
    PermissionNode,
    PluginManifest,
)
from optima_platform.hooks.specs import hookimpl
from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get, post
from optima_platform.permissions.gates import gate

RUNS: list[str] = []


class Echo(msgspec.Struct):
    name: str
    count: int = 1


@post("/probe/echo", permissions=["probe.use"])
async def echo(data: JSONBody[Echo]) -> Response[dict[str, Any]]:
    return envelope({"name": data.name, "count": data.count}, "Echoed", status=201)


@get("/probe/boom", auth="none")
async def boom() -> None:
    raise RuntimeError("secret internal detail")


@get("/probe/gated", permissions=["probe.use"], gate="obj.probe")
async def gated(principal: PrincipalDep) -> Response[dict[str, Any]]:
    return envelope(gate(principal.permissions, "obj.probe", {"a": 1, "b": 2}), "Gated")


async def tick(host: HostDep) -> None:
    RUNS.append(host.settings.cache_prefix)


async def failing(host: HostDep) -> None:
    raise ValueError("job failed on purpose")


class ProbePlugin:
    """Registered as an object: plugins may be modules or instances."""

    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="probe", version="1.0")

    @hookimpl
    def optima_routes(self) -> list[Any]:
        return [echo, boom, gated]

    @hookimpl
    def optima_permissions(self) -> list[PermissionCategory]:
        return [PermissionCategory("probe", "Probe", "Test probe", (PermissionNode("probe.use", "Use the probe"),))]

    @hookimpl
    def optima_field_gates(self) -> list[FieldGate]:
        return [FieldGate("obj.probe", "Probe", ("a", "b"))]

    @hookimpl
    def optima_jobs(self) -> list[Job]:
        return [Job("probe.tick", 1.0, tick), Job("probe.failing", 1.0, failing)]


class NeedsMissing:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="needy", version="1.0", requires=("nonexistent",))


class NeedsProbe:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="dependent", version="1.0", requires=("probe",))


class StrictSettings(msgspec.Struct, forbid_unknown_fields=True):
    site: str | None = None
    timeout: float = 5.0


class Configured:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="configured", version="1.0", settings=StrictSettings, required_settings=("site",))
