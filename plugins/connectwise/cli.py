"""The plugin's commands: ``optima simulate connectwise`` and ``optima connectwise register-callbacks``."""

from __future__ import annotations

import asyncio
import json
import sys

import click
import msgspec
from optima_connectwise.services.callbacks import DEFAULT_REGISTERED, RESOURCES


@click.group("simulate")
def simulate() -> None:
    """Simulators of external systems."""


@simulate.command("connectwise")
@click.option("--port", type=int, default=8021, show_default=True)
@click.option("--host", "bind", default="127.0.0.1", show_default=True)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of the generated records.")
@click.option("--scale", type=float, default=1.0, show_default=True, help="1.0: 40 members, 150 companies, ...")
def simulate_connectwise(port: int, bind: str, seed: int, scale: float) -> None:
    """Serve a ConnectWise PSA simulator (seeded records, callbacks, faults under /__sim__)."""
    import uvicorn
    from optima_connectwise.simulator import SimulatorCredentials, create_connectwise_simulator

    if scale <= 0:
        raise click.BadParameter("must be positive", param_hint="--scale")
    credentials = SimulatorCredentials()
    sim = create_connectwise_simulator(seed=seed, scale=scale, credentials=credentials)
    url = f"http://{bind}:{port}"
    sim.public_url = url
    sizes = sim.sizes
    click.echo(f"ConnectWise simulator on {url}/{sim.codebase}apis/3.0 (seed {seed}, scale {scale:g})")
    click.echo(f"  {sizes.members} members, {sizes.companies} companies, {sizes.opportunities} opportunities")
    click.echo("Point the plugin at it in optima.toml:")
    click.echo("  [plugins.connectwise]")
    for key, value in (
        ("site", url),
        ("company_id", credentials.company_id),
        ("public_key", credentials.public_key),
        ("private_key", credentials.private_key),
        ("client_id", credentials.client_id),
    ):
        click.echo(f"  {key} = {json.dumps(value)}")
    click.echo(f"Change a record (and deliver its callbacks): POST {url}/__sim__/touch")
    uvicorn.run(sim.app, host=bind, port=port, log_level="warning")


@click.group("connectwise")
def connectwise() -> None:
    """ConnectWise PSA integration."""


@connectwise.command("register-callbacks")
@click.option(
    "--resource",
    "resources",
    multiple=True,
    type=click.Choice(RESOURCES),
    help=f"Resource to register (repeatable; default: {', '.join(DEFAULT_REGISTERED)}).",
)
@click.option("--base-url", default=None, help="Public URL ConnectWise reaches us on (default: callback_base_url).")
@click.option("--prune/--no-prune", default=True, show_default=True, help="Delete our callbacks with an old secret.")
def register_callbacks(resources: tuple[str, ...], base_url: str | None, prune: bool) -> None:
    """Register our callback URLs in ConnectWise (idempotent: existing ones are kept)."""
    from optima_connectwise.client import ConnectWiseError
    from optima_connectwise.connection import open_client, settings_of
    from optima_connectwise.services import callbacks

    from optima_platform.cli import fail, host_for

    host = host_for(click.get_current_context())
    if not host.is_enabled("connectwise"):
        fail("the connectwise plugin is not enabled")
    settings = settings_of(host)
    if not settings.callback_secret:
        fail("no callback secret: set [plugins.connectwise] callback_secret or CW_CALLBACK_SECRET")
    if base_url:
        if not base_url.startswith(("http://", "https://")):
            fail("--base-url must be an http(s) URL")
        settings = msgspec.structs.replace(settings, callback_base_url=base_url)
    if not settings.callback_base_url and not host.settings.server.public_url:
        # the fallback would be http://{server.host}:{server.port}, which ConnectWise cannot reach
        fail(
            "no public URL for the callbacks: set [plugins.connectwise] callback_base_url "
            "(or [server] public_url), or pass --base-url"
        )
    public_url = host.settings.public_url

    async def run() -> list[callbacks.Registration]:
        async with open_client(settings) as cw:
            return await callbacks.register_callbacks(
                cw, settings, public_url, resources or DEFAULT_REGISTERED, prune=prune
            )

    try:
        registered = asyncio.run(run())
    except ConnectWiseError as exc:
        click.echo(f"optima: ConnectWise: {exc.message}", err=True)
        sys.exit(1)
    for item in registered:
        removed = f" (removed stale {', '.join(map(str, item.removed))})" if item.removed else ""
        click.echo(
            f"{item.resource}: callback {item.callback.id} -> {callbacks.masked(item.callback.url, settings)}{removed}"
        )


COMMANDS = [simulate, connectwise]
