"""The credentials plugin: typed credentials per company, secure fields encrypted at rest, an audit trail.

It refuses to start without an encryption key (``optima credentials generate-key`` prints one).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from optima_platform.demo import Demo
from optima_platform.hooks.contributions import PluginDatabase, PluginManifest
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host

from . import cli, permissions
from . import demo as demo_setup
from .models import CredentialsBase, CredentialType
from .routes import audit, credentials, secure_values, sub_credentials, types, value_types
from .services.common import KEYRING_STATE, keyring
from .settings import CredentialsSettings

__version__ = "0.1.0"
log = logging.getLogger("optima.credentials")


@hookimpl
def optima_plugin() -> PluginManifest:
    return PluginManifest(
        name="credentials",
        version=__version__,
        description="Credential vault: typed credentials per company, encrypted secure fields, audit trail",
        settings=CredentialsSettings,
    )


@hookimpl
def optima_routes() -> list[Any]:
    return [
        *value_types.ROUTES,
        *credentials.ROUTES,
        *secure_values.ROUTES,
        *sub_credentials.ROUTES,
        *audit.ROUTES,
        *types.ROUTES,
    ]


@hookimpl
def optima_permissions() -> list[Any]:
    return permissions.CATEGORIES


@hookimpl
def optima_field_gates() -> list[Any]:
    return permissions.GATES


@hookimpl
def optima_database() -> PluginDatabase:
    return PluginDatabase(CredentialsBase.metadata, Path(__file__).parent / "migrations")


@hookimpl
def optima_cli_commands() -> list[Any]:
    return cli.COMMANDS


@hookimpl
async def optima_startup(host: Host) -> None:
    """Load the keyring (refusing to start without a usable key) and register the types' scope nodes."""
    keyring(host)
    try:
        async with host.db.session() as session:
            scopes = (
                await session.execute(
                    select(CredentialType.permission_scope)
                    .where(CredentialType.permission_scope.is_not(None))
                    .distinct()
                )
            ).scalars()
            for scope in scopes:
                permissions.register_scope(host, scope)
    except SQLAlchemyError:
        log.warning("credentials: tables not found; run 'optima db upgrade' (permission scopes not registered yet)")


@hookimpl
def optima_shutdown(host: Host) -> None:
    host.state.pop(KEYRING_STATE, None)


@hookimpl
def optima_demo_prepare(demo: Demo) -> None:
    demo_setup.prepare(demo)


@hookimpl
async def optima_demo_seed(host: Host, demo: Demo) -> None:
    await demo_setup.seed(host, demo)
