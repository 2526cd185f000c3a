"""The ``optima`` command line: serve, db, plugins, routes, jobs, and the commands plugins add."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from typing import Any

import click

from optima_platform import __version__
from optima_platform.hooks.registry import PluginError
from optima_platform.settings import SettingsError


def _config_from_argv(argv: list[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--config" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


def fail(message: str) -> None:
    click.echo(f"optima: {message}", err=True)
    sys.exit(2)


def host_for(ctx: click.Context, *, introspect: bool = False, plugin_settings: bool = True) -> Any:
    """The host for a command; one-line exit on a configuration error.

    ``plugin_settings=False`` for commands that only touch the database, so they work beside a
    demo server (whose plugin settings live in that process) or with a plugin not yet configured.
    """
    from optima_platform.runtime import build_host

    config = ctx.find_root().params.get("config") if ctx.find_root() else None
    try:
        return build_host(
            config or (ctx.obj or {}).get("config"), introspect=introspect, plugin_settings=plugin_settings
        )
    except (PluginError, SettingsError) as exc:
        fail(str(exc))


class OptimaGroup(click.Group):
    """Adds the enabled plugins' commands (``optima_cli_commands``) next to the host's."""

    _plugin_commands: dict[str, click.Command] | None = None

    def _load(self) -> dict[str, click.Command]:
        if self._plugin_commands is None:
            self._plugin_commands = {}
            from optima_platform.runtime import build_host

            try:
                host = build_host(_config_from_argv(sys.argv), introspect=True)
            except (PluginError, SettingsError):
                return self._plugin_commands
            for _, commands in host.hooks.collect("optima_cli_commands"):
                for command in commands:
                    name = command.name or ""
                    existing = self.commands.get(name) or self._plugin_commands.get(name)
                    if isinstance(existing, click.Group) and isinstance(command, click.Group):
                        for sub in command.commands.values():
                            existing.add_command(sub)
                    else:
                        self._plugin_commands[name] = command
        return self._plugin_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._load()))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        plugin_commands = self._load()  # first: it also merges plugins' subcommands into host groups
        return super().get_command(ctx, cmd_name) or plugin_commands.get(cmd_name)


@click.group(cls=OptimaGroup)
@click.option("--config", "config", envvar="OPTIMA_CONFIG", help="Config file (default ./optima.toml).")
@click.version_option(__version__, prog_name="optima")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """Optima Platform: a plugin-based integration platform for managed-service providers."""
    ctx.ensure_object(dict)
    ctx.obj["config"] = config


@cli.command()
@click.option("--host", "bind", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 3000).")
@click.option("--config", "config", default=None, help="Config file (default ./optima.toml).")
@click.option("--demo", is_flag=True, help="Start each plugin's simulator in-process and seed demo data.")
@click.pass_context
def serve(ctx: click.Context, bind: str | None, port: int | None, config: str | None, demo: bool) -> None:
    """Serve the API (REST under /v1 and Socket.IO at /socket.io/)."""
    from optima_platform.serve import StartupFailed
    from optima_platform.serve import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        asyncio.run(run_server(config or ctx.obj.get("config"), bind=bind, port=port, demo=demo))
    except (PluginError, SettingsError) as exc:
        fail(str(exc))
    except StartupFailed:
        sys.exit(2)
    except KeyboardInterrupt:
        pass


@cli.group()
def db() -> None:
    """Database migrations (each enabled plugin has its own lineage)."""


@db.command("upgrade")
@click.pass_context
def db_upgrade(ctx: click.Context) -> None:
    """Apply every enabled plugin's migrations up to head."""
    from optima_platform.db import migrations

    host = host_for(ctx, plugin_settings=False)

    async def run() -> None:
        try:
            await migrations.upgrade(host.db, host.lineages)
            for name, state in (await migrations.current(host.db, host.lineages)).items():
                click.echo(f"{name}: {state['current']}")
        finally:
            await host.db.dispose()

    asyncio.run(run())


@db.command("current")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def db_current(ctx: click.Context, as_json: bool) -> None:
    """Show each lineage's applied revision and its head."""
    from optima_platform.db import migrations

    host = host_for(ctx, plugin_settings=False)

    async def run() -> dict[str, Any]:
        try:
            return await migrations.current(host.db, host.lineages)
        finally:
            await host.db.dispose()

    state = asyncio.run(run())
    if as_json:
        click.echo(json.dumps(state, indent=2))
        return
    for name, row in state.items():
        mark = "up to date" if row["current"] == row["head"] else "behind"
        click.echo(f"{name}: {row['current'] or '(none)'} (head {row['head']}, {mark})")


@db.command("revision")
@click.argument("plugin")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate", is_flag=True, help="Diff the models against the migrated database.")
@click.option("--rev-id", default=None, help="The revision id (e.g. hello_0002); default random.")
@click.pass_context
def db_revision(ctx: click.Context, plugin: str, message: str, autogenerate: bool, rev_id: str | None) -> None:
    """Write a new migration file into PLUGIN's lineage (migrate first when autogenerating)."""
    from optima_platform.db import migrations

    host = host_for(ctx, plugin_settings=False)
    lineage = next((lin for lin in host.lineages if lin.plugin == plugin), None)
    if lineage is None:
        fail(f"plugin {plugin} is not enabled or has no database")

    async def run() -> None:
        try:
            await migrations.revision(host.db, lineage, message, autogenerate=autogenerate, rev_id=rev_id)
        finally:
            await host.db.dispose()

    asyncio.run(run())


@cli.group()
def plugins() -> None:
    """Installed plugins."""


@plugins.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def plugins_list(ctx: click.Context, as_json: bool) -> None:
    """Each installed plugin: version, enabled, what it contributes. Connects to nothing."""
    from optima_platform.app import create_litestar

    host = host_for(ctx, introspect=True)
    create_litestar(host)
    rows = host.manifest_json()
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        state = "enabled" if row["enabled"] else "disabled"
        requires = f" requires {', '.join(row['requires'])}" if row["requires"] else ""
        click.echo(
            f"{row['name']} {row['version']} ({state}){requires}: {len(row['routes'])} routes, "
            f"{len(row['permissions'])} nodes, {len(row['jobs'])} jobs, {len(row['events'])} events"
        )


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def routes(ctx: click.Context, as_json: bool) -> None:
    """Every served route with its plugin, auth kind and nodes. Connects to nothing."""
    from optima_platform.app import create_litestar

    host = host_for(ctx, introspect=True)
    create_litestar(host)
    rows = [route.as_json() for route in host.routes]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        nodes = ",".join(row["permissions"]) or "-"
        click.echo(f"{row['method']:<7}{row['path']:<60}{row['plugin']:<13}{row['auth']:<8}{nodes}")


@cli.group()
def jobs() -> None:
    """Scheduled jobs."""


@jobs.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_context
def jobs_list(ctx: click.Context, as_json: bool) -> None:
    """Each job of the enabled plugins with its interval and last run."""
    from optima_platform.db import migrations
    from optima_platform.db.base import iso

    host = host_for(ctx, plugin_settings=False)

    async def run() -> list[dict[str, Any]]:
        try:
            if host.db.backend == "sqlite":
                await migrations.upgrade(host.db, host.lineages)
            statuses = await host.scheduler.statuses()
        finally:
            await host.db.dispose()
        rows = []
        for registered in host.jobs:
            status = statuses.get(registered.job.name)
            rows.append(
                {
                    "name": registered.job.name,
                    "plugin": registered.plugin,
                    "interval": registered.job.interval,
                    "lastStartedAt": iso(status.last_started_at) if status else None,
                    "lastDurationMs": status.last_duration_ms if status else None,
                    "lastOutcome": status.last_outcome if status else None,
                    "lastError": status.last_error if status else None,
                    "runs": status.runs if status else 0,
                    "failures": status.failures if status else 0,
                }
            )
        return rows

    rows = asyncio.run(run())
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    for row in rows:
        click.echo(
            f"{row['name']:<40} every {row['interval']:>6.0f}s  last {row['lastStartedAt'] or 'never'} "
            f"{row['lastOutcome'] or ''} {row['lastDurationMs'] or ''}{'ms' if row['lastDurationMs'] else ''}"
        )
        if row["lastError"]:
            click.echo(f"    error: {row['lastError']}")


@jobs.command("run")
@click.argument("name")
@click.pass_context
def jobs_run(ctx: click.Context, name: str) -> None:
    """Run job NAME once now (waits for it; fails if it is running elsewhere)."""
    from optima_platform.jobs.scheduler import JobBusy
    from optima_platform.runtime import running

    if name not in host_for(ctx, plugin_settings=False).scheduler.jobs:
        fail(f"no job {name}; see 'optima jobs list'")
    host = host_for(ctx)

    async def run() -> Any:
        async with running(host):
            return await host.scheduler.run_once(name)

    try:
        status = asyncio.run(run())
    except JobBusy:
        fail(f"job {name} is running elsewhere; try again when it finishes")
    click.echo(f"{name}: {status.last_outcome} in {status.last_duration_ms}ms")
    if status.last_outcome != "success":
        click.echo(f"error: {status.last_error}", err=True)
        sys.exit(1)


@cli.group()
def simulate() -> None:
    """Run a simulator of an external system (plugins add them)."""


def main() -> None:
    from sqlalchemy.exc import OperationalError, ProgrammingError

    try:
        cli(prog_name="optima")
    except (OperationalError, ProgrammingError) as exc:
        reason = str(exc.orig).splitlines()[0] if exc.orig is not None else type(exc).__name__
        fail(f"the database is not ready ({reason}); run 'optima db upgrade'")


if __name__ == "__main__":
    main()
