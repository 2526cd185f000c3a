"""The ConnectWise plugin: members, companies synced into the core table, company enrichment, callbacks.

Registered under the ``optima.plugins`` entry point as ``connectwise``. Every call to ConnectWise goes
through the one client opened in ``optima_startup`` (``host.state["connectwise.client"]``).
"""

from __future__ import annotations

from typing import Any

from optima_connectwise import cli, jobs, permissions
from optima_connectwise import demo as demo_setup
from optima_connectwise.connection import STATE_KEY, open_client, settings_of
from optima_connectwise.routes import callbacks as callback_routes
from optima_connectwise.routes import companies as company_routes
from optima_connectwise.routes import members as member_routes
from optima_connectwise.services import callbacks, companies
from optima_connectwise.settings import REQUIRED, ConnectWiseSettings

from optima_platform.demo import Demo
from optima_platform.hooks.contributions import PluginManifest
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host

__version__ = "0.1.0"


@hookimpl
def optima_plugin() -> PluginManifest:
    return PluginManifest(
        name="connectwise",
        version=__version__,
        description="ConnectWise PSA: members, company sync and enrichment, callbacks",
        requires=("core",),
        settings=ConnectWiseSettings,
        required_settings=REQUIRED,
    )


@hookimpl
def optima_routes() -> list[Any]:
    return [*member_routes.ROUTES, *callback_routes.ROUTES, *company_routes.ROUTES]


@hookimpl
def optima_permissions() -> list[Any]:
    return permissions.CATEGORIES


@hookimpl
def optima_jobs() -> list[Any]:
    return jobs.JOBS


@hookimpl
def optima_cli_commands() -> list[Any]:
    return cli.COMMANDS


@hookimpl
async def optima_startup(host: Host) -> None:
    host.state[STATE_KEY] = open_client(settings_of(host))


@hookimpl
async def optima_shutdown(host: Host) -> None:
    await callbacks.cancel_pending(host)
    client = host.state.pop(STATE_KEY, None)
    if client is not None:
        await client.aclose()


@hookimpl
async def optima_enrich_company(host: Host, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    return await companies.enrich_company(host, company, include)


@hookimpl
async def optima_demo_prepare(demo: Demo) -> None:
    await demo_setup.prepare(demo)


@hookimpl
async def optima_demo_seed(host: Host, demo: Demo) -> None:
    await demo_setup.seed(host, demo)
