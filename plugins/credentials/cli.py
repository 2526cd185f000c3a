"""The credentials plugin's CLI: ``optima credentials generate-key`` and ``optima credentials rotate-key``."""

from __future__ import annotations

import asyncio
import sys

import click

from optima_platform.hooks.registry import PluginError

from .crypto import KeyConfigError, generate_key
from .services.rotation import DEFAULT_BATCH_SIZE, RotationReport


@click.group("credentials")
def credentials() -> None:
    """The credential vault's encryption keys."""


@credentials.command("generate-key")
@click.option("--kid", default=None, help="Key id (default: k<today>-<random>); never reuse one.")
def generate_key_command(kid: str | None) -> None:
    """Print a new key '<kid>:<base64url of 32 random bytes>' to put first in [plugins.credentials] keys."""
    try:
        click.echo(generate_key(kid))
    except KeyConfigError as exc:
        click.echo(f"optima: {exc}", err=True)
        sys.exit(2)


def _progress(report: RotationReport) -> None:
    click.echo(
        f"  batch {report.batches}: {report.rotated} re-encrypted, {report.skipped} changed meanwhile, "
        f"{len(report.failures)} failed",
        err=True,
    )


@credentials.command("rotate-key")
@click.option("--batch-size", type=click.IntRange(1, 100_000), default=DEFAULT_BATCH_SIZE, show_default=True)
@click.pass_context
def rotate_key(ctx: click.Context, batch_size: int) -> None:
    """Re-encrypt every secure value under the first configured key, in batches.

    Safe while the API serves; stop it at any time and run it again to go on. Put the new key first
    in [plugins.credentials] keys (keeping the old ones after it) on every instance before running.
    """
    from optima_platform.cli import host_for
    from optima_platform.runtime import running

    from .services.common import keyring
    from .services.rotation import rotate, values_per_key

    host = host_for(ctx)

    async def run() -> tuple[RotationReport, dict[str, int]]:
        async with running(host, startup=False):
            ring = keyring(host)
            click.echo(f"Re-encrypting secure values under key '{ring.current_kid}' (batches of {batch_size})")
            report = await rotate(host, ring, batch_size=batch_size, on_batch=_progress)
            return report, await values_per_key(host)

    try:
        report, per_key = asyncio.run(run())
    except PluginError as exc:
        click.echo(f"optima: {exc}", err=True)
        sys.exit(2)
    click.echo(f"{report.rotated} values re-encrypted, {report.skipped} changed meanwhile (already under the key)")
    click.echo("Values per key: " + (", ".join(f"{kid}={count}" for kid, count in sorted(per_key.items())) or "none"))
    if report.failures:
        click.echo(f"{len(report.failures)} values could not be decrypted and were left as they are:", err=True)
        for failure in report.failures:
            kid = f" (key '{failure.kid}')" if failure.kid else ""
            click.echo(
                f"  credential {failure.credential_id} field {failure.field_id}: {failure.reason}{kid}", err=True
            )
        sys.exit(1)


COMMANDS = [credentials]
