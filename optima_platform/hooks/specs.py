"""The hook catalogue: every hook a plugin may implement, with what it must return.

A plugin module (or object) implements a hook by defining a function of the same name decorated
with ``@hookimpl``; it may accept any subset of the hook's arguments. Any hook may be a coroutine;
the host awaits it. Contribution hooks (routes, permissions, gates, database, jobs, socket events,
CLI commands) are read at start-up and by introspection, so they must only declare: no I/O.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from litestar.types import ControllerRouterHandler

    from optima_platform.demo import Demo
    from optima_platform.hooks.contributions import (
        FieldGate,
        Job,
        PermissionCategory,
        PluginDatabase,
        PluginManifest,
        SocketEvent,
    )
    from optima_platform.host import Host
    from optima_platform.permissions.principal import Principal

PROJECT = "optima"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

# --- Declaration ---------------------------------------------------------------------------


@hookspec
def optima_plugin() -> PluginManifest:
    """Return this plugin's manifest: name, version, required plugins, settings struct."""


# --- Contributions (read without settings or connections: introspection calls them) ---------


@hookspec
def optima_routes() -> list[ControllerRouterHandler]:
    """Return route handlers, controllers or routers, with paths relative to ``/v1``.

    Declare nodes with ``optima_platform.http.routes`` decorators; handlers reach services through
    the ``host`` dependency at request time, never at import or registration.
    """


@hookspec
def optima_permissions() -> list[PermissionCategory]:
    """Return the permission categories and nodes this plugin defines."""


@hookspec
def optima_field_gates() -> list[FieldGate]:
    """Return the object types whose response keys this plugin gates (``obj.<type>.<field>``)."""


@hookspec
def optima_database() -> PluginDatabase | None:
    """Return this plugin's SQLAlchemy metadata and the directory of its own Alembic lineage."""


@hookspec
def optima_jobs() -> list[Job]:
    """Return the scheduled jobs this plugin runs."""


@hookspec
def optima_socket_events() -> list[SocketEvent]:
    """Return Socket.IO handlers (namespace, event, coroutine) this plugin adds."""


@hookspec
def optima_cli_commands() -> list[click.Command]:
    """Return click commands (or groups) to add to the ``optima`` CLI."""


# --- Life cycle ------------------------------------------------------------------------------


@hookspec
def optima_startup(host: Host) -> None:
    """Called once the database and cache are up, before serving. Open clients here."""


@hookspec
def optima_shutdown(host: Host) -> None:
    """Called when the server stops. Close what ``optima_startup`` opened."""


@hookspec
def optima_demo_prepare(demo: Demo) -> None:
    """Demo mode, before settings are validated: start simulators, point settings at them.

    Use ``await demo.serve(app)`` to run an ASGI simulator on a free loopback port,
    ``demo.configure(key, value)`` to set this plugin's settings and ``demo.say(line)`` to print.
    """


@hookspec
def optima_demo_seed(host: Host, demo: Demo) -> None:
    """Demo mode, after migrations and startup: seed realistic data into the database."""


# --- Authentication (the core plugin answers it) ---------------------------------------------


@hookspec(firstresult=True)
def optima_authenticate(host: Host, scheme: str, token: str) -> Principal | None:
    """Resolve ``Authorization: <scheme> <token>`` (``Bearer`` or ``Key``) to a principal.

    Return None when the token is not yours or invalid; the first non-None result wins.
    """


# --- Extension hooks one plugin offers others -------------------------------------------------


@hookspec
def optima_enrich_company(host: Host, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    """Return extra ``cw_Data`` keys for a fetched company.

    ``include`` holds the requested sections: ``address``, ``primaryContact``, ``allContacts``.
    Results of all plugins are merged.
    """


@hookspec(firstresult=True)
def optima_opportunity_include(host: Host, opportunity: dict[str, Any], section: str) -> Any:
    """Return the value of ``include=<section>`` for an opportunity, or None if not yours."""
