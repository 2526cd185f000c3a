"""Helpers the CLI and tests share: load settings, build the host, run with connections open."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

from optima_platform.db import migrations
from optima_platform.host import Host
from optima_platform.settings import Settings, ensure_secret_key, load_settings


def build_host(
    config: str | None = None,
    *,
    settings: Settings | None = None,
    introspect: bool = False,
    plugin_settings: bool = True,
    extra_plugins: Iterable[Any] = (),
) -> Host:
    """Settings from ``config`` (or given), plugins resolved.

    ``introspect``: connect to nothing, need no secret and no plugin settings (``routes``).
    ``plugin_settings=False``: the secret key and database as usual, but plugins' settings are not
    enforced, for commands that only touch the database (``token issue``, ``db upgrade``).
    """
    settings = settings or load_settings(config)
    if not introspect:
        settings = ensure_secret_key(settings)
    lenient = introspect or not plugin_settings
    return Host.build(settings, extra_plugins=extra_plugins, introspect=lenient)


@asynccontextmanager
async def running(host: Host, *, migrate: bool | None = None, startup: bool = True) -> AsyncIterator[Host]:
    """The host with its database and plugins started, for CLI commands.

    ``migrate`` defaults to migrating the embedded SQLite database (as ``optima serve`` does);
    a Postgres database is migrated only by ``optima db upgrade``.
    """
    if migrate is None:
        migrate = host.db.backend == "sqlite"
    from optima_platform.app import create_litestar

    create_litestar(host)
    try:
        if migrate:
            await migrations.upgrade(host.db, host.lineages)
        if startup:
            await host.start()
        yield host
    finally:
        await host.stop()
