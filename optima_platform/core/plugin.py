"""The core plugin: users, roles, permissions, sign-in, companies and the host's own routes.

It is built in and cannot be disabled, but it uses exactly the hooks any other plugin uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

from optima_platform import __version__
from optima_platform.core import cli, demo_setup, permissions, sockets
from optima_platform.core.models import CoreBase
from optima_platform.core.routes import auth, companies, roles, system, users
from optima_platform.core.routes import permissions as permission_routes
from optima_platform.core.services.tokens import authenticate_token
from optima_platform.core.settings import AuthSettings
from optima_platform.demo import Demo
from optima_platform.hooks.contributions import PluginDatabase, PluginManifest
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host
from optima_platform.permissions.principal import Principal


@hookimpl
def optima_plugin() -> PluginManifest:
    return PluginManifest(
        name="core",
        version=__version__,
        description="Users, roles, permissions, sign-in, companies",
        essential=True,
        settings=AuthSettings,
        settings_key="auth",
    )


@hookimpl
def optima_routes() -> list[Any]:
    return [
        *system.ROUTES,
        *auth.ROUTES,
        *users.ROUTES,
        *roles.ROUTES,
        *permission_routes.ROUTES,
        *companies.ROUTES,
    ]


@hookimpl
def optima_permissions() -> list[Any]:
    return permissions.CATEGORIES


@hookimpl
def optima_field_gates() -> list[Any]:
    return permissions.GATES


@hookimpl
def optima_database() -> PluginDatabase:
    return PluginDatabase(CoreBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
async def optima_authenticate(host: Host, scheme: str, token: str) -> Principal | None:
    return await authenticate_token(host, token)


@hookimpl
def optima_socket_events() -> list[Any]:
    return sockets.EVENTS


@hookimpl
def optima_cli_commands() -> list[Any]:
    return cli.COMMANDS


@hookimpl
async def optima_startup(host: Host) -> None:
    host.state["core.watcher"] = asyncio.create_task(sockets.watch_sessions(host), name="core:session-watcher")


@hookimpl
async def optima_shutdown(host: Host) -> None:
    watcher = host.state.pop("core.watcher", None)
    if watcher is not None:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher
    client = host.state.pop("core.identity", None)
    if client is not None:
        await client.aclose()


@hookimpl
async def optima_demo_prepare(demo: Demo) -> None:
    await demo_setup.prepare(demo)


@hookimpl
async def optima_demo_seed(host: Host, demo: Demo) -> None:
    await demo_setup.seed(host, demo)
