"""The core plugin's CLI: ``token issue``, ``apikey create|revoke``, ``simulate identity``."""

from __future__ import annotations

import asyncio
import json
import sys

import click

from optima_platform.http.errors import ApiError


def _host() -> object:
    from optima_platform.cli import host_for

    return host_for(click.get_current_context(), plugin_settings=False)


@click.group("token")
def token() -> None:
    """Access tokens without a browser."""


@token.command("issue")
@click.option("--email", required=True, help="The user's email; the user is created if absent.")
@click.option("--name", default=None, help="Display name for a new user.")
@click.option("--role", "roles", multiple=True, help="Role moniker to add (repeatable).")
@click.option("--permission", "permissions", multiple=True, help="Direct permission node to add (repeatable).")
def token_issue(email: str, name: str | None, roles: tuple[str, ...], permissions: tuple[str, ...]) -> None:
    """Print {"userId","accessToken","refreshToken"} for EMAIL (roles and nodes are added, never removed)."""
    from optima_platform.core.services.tokens import issue_for_email
    from optima_platform.runtime import running

    host = _host()

    async def run() -> dict[str, str]:
        async with running(host, startup=False):  # type: ignore[attr-defined]
            issued = await issue_for_email(
                host,
                email=email,
                name=name,
                roles=list(roles),
                permissions=list(permissions),  # type: ignore[arg-type]
            )
            return issued.as_json()

    try:
        click.echo(json.dumps(asyncio.run(run())))
    except ApiError as exc:
        click.echo(f"optima: {exc.message}", err=True)
        sys.exit(1)


@click.group("apikey")
def apikey() -> None:
    """Long-lived API keys for integrations (sent as 'Authorization: Key <key>')."""


@apikey.command("create")
@click.option("--email", required=True, help="The user the key acts as.")
@click.option("--name", required=True, help="What the key is for.")
def apikey_create(email: str, name: str) -> None:
    """Create a key; it is printed once and stored only as a hash."""
    from optima_platform.core.services.tokens import create_api_key
    from optima_platform.runtime import running

    host = _host()

    async def run() -> dict[str, str]:
        async with running(host, startup=False):  # type: ignore[arg-type]
            row, secret = await create_api_key(host, email=email, name=name)  # type: ignore[arg-type]
            return {"id": row.id, "prefix": row.prefix, "name": row.name, "key": secret}

    try:
        click.echo(json.dumps(asyncio.run(run())))
    except ApiError as exc:
        click.echo(f"optima: {exc.message}", err=True)
        sys.exit(1)


@apikey.command("revoke")
@click.argument("key_id")
def apikey_revoke(key_id: str) -> None:
    """Revoke a key by its id or its prefix (opk_xxxxxxxx)."""
    from optima_platform.core.services.tokens import revoke_api_key
    from optima_platform.runtime import running

    host = _host()

    async def run() -> bool:
        async with running(host, startup=False):  # type: ignore[arg-type]
            return await revoke_api_key(host, key_id)  # type: ignore[arg-type]

    if not asyncio.run(run()):
        click.echo(f"optima: no active API key {key_id}", err=True)
        sys.exit(1)
    click.echo(f"revoked {key_id}")


@click.group("simulate")
def simulate() -> None:
    """Simulators of external systems."""


@simulate.command("identity")
@click.option("--port", type=int, default=4010, show_default=True)
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--client-id", default="optima-demo", show_default=True)
@click.option("--client-secret", default="optima-demo-secret", show_default=True)
def simulate_identity(port: int, bind: str, client_id: str, client_secret: str) -> None:
    """Serve a Microsoft identity platform (Entra ID v2.0) simulator with the demo directory."""
    import uvicorn

    from optima_platform.core.identity.directory import DEMO_DIRECTORY, DEMO_TENANT_ID
    from optima_platform.core.identity.simulator import create_identity_simulator

    sim = create_identity_simulator(client_id=client_id, client_secret=client_secret)
    click.echo(f"Identity simulator on http://{bind}:{port} tenant {DEMO_TENANT_ID}")
    for user in DEMO_DIRECTORY:
        click.echo(f"  {user.email}  {user.name}")
    uvicorn.run(sim.app, host=bind, port=port, log_level="warning")


COMMANDS = [token, apikey, simulate]
