"""The plugin's CLI: ``optima hello say NAME`` and ``optima hello count``."""

from __future__ import annotations

import asyncio
import json

import click

from optima_hello import service


@click.group("hello")
def hello() -> None:
    """The example hello plugin."""


@hello.command("say")
@click.argument("name")
@click.option("--shout", is_flag=True, help="In capitals.")
def say(name: str, shout: bool) -> None:
    """Print the greeting for NAME as [plugins.hello] words it (connects to nothing)."""
    from optima_platform.cli import host_for

    host = host_for(click.get_current_context(), introspect=True)
    click.echo(service.word(host, name, shout=shout))


@hello.command("count")
def count() -> None:
    """Print {"count": N}: the greetings in the database."""
    from optima_platform.cli import host_for
    from optima_platform.runtime import running

    host = host_for(click.get_current_context())

    async def run() -> int:
        async with running(host, startup=False):
            async with host.db.session() as session:
                return await service.count(session)

    click.echo(json.dumps({"count": asyncio.run(run())}))


COMMANDS = [hello]
