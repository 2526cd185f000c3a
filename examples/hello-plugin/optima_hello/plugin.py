"""The hello plugin: every hook a plugin may implement, each kept small.

Registered under the ``optima.plugins`` entry point in ``pyproject.toml`` (``hello =
"optima_hello.plugin"``); the host discovers it once the package is installed.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from optima_hello import __version__, cli, jobs, permissions, routes, service, sockets
from optima_hello.models import Greeting, HelloBase
from optima_hello.settings import HelloSettings
from optima_platform.db.base import utcnow
from optima_platform.demo import Demo
from optima_platform.hooks.contributions import PluginDatabase, PluginManifest
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host

log = logging.getLogger("optima.hello")


@hookimpl
def optima_plugin() -> PluginManifest:
    return PluginManifest(
        name="hello",
        version=__version__,
        description="Example plugin: greetings, a gated list, a tally job, a socket event",
        requires=("core",),
        settings=HelloSettings,
        required_settings=("greeting",),
    )


@hookimpl
def optima_routes() -> list[Any]:
    return routes.ROUTES


@hookimpl
def optima_permissions() -> list[Any]:
    return permissions.CATEGORIES


@hookimpl
def optima_field_gates() -> list[Any]:
    return permissions.GATES


@hookimpl
def optima_database() -> PluginDatabase:
    return PluginDatabase(HelloBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def optima_jobs() -> list[Any]:
    return jobs.JOBS


@hookimpl
def optima_socket_events() -> list[Any]:
    return sockets.EVENTS


@hookimpl
def optima_cli_commands() -> list[Any]:
    return cli.COMMANDS


@hookimpl
async def optima_startup(host: Host) -> None:
    # A real plugin opens its clients here (and keeps them in host.state); hello has none to open.
    host.state["hello.started_at"] = utcnow()
    log.info("hello: greeting with %r", service.settings_of(host).greeting)


@hookimpl
async def optima_shutdown(host: Host) -> None:
    host.state.pop("hello.started_at", None)


@hookimpl
def optima_demo_prepare(demo: Demo) -> None:
    demo.configure("greeting", "Hello from the demo")
    demo.say("Hello plugin: POST /v1/hello/greetings {name}; GET /v1/hello/greetings; GET /v1/hello/tally")


@hookimpl
async def optima_demo_seed(host: Host, demo: Demo) -> None:
    """Three greetings, once (idempotent: nothing is added when any exist)."""
    async with host.db.session() as session, session.begin():
        if await service.count(session):
            return
        for name in ("Ada", "Grace", "Linus"):
            session.add(Greeting(name=name, message=service.word(host, name)))


@hookimpl
def optima_enrich_company(host: Host, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    """Adds ``cw_Data.greeting`` to every fetched company (results of all plugins are merged)."""
    return {"greeting": service.word(host, company.get("name") or "stranger")}


@hookimpl
def optima_opportunity_include(host: Host, opportunity: dict[str, Any], section: str) -> Any:
    """Answers ``include=greeting``; None for every other section, so another plugin may answer."""
    if section != "greeting":
        return None
    return service.word(host, opportunity.get("name") or "stranger")
