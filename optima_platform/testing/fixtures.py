"""Pytest fixtures: a fresh database per test session, live app servers, tokens.

Backends come from the environment: SQLite files by default; ``OPTIMA_TEST_POSTGRES_URL``
(``postgresql+asyncpg://…/test``) makes every session create and drop its own Postgres database,
and ``OPTIMA_TEST_REDIS_URL`` puts the cache, leases and Socket.IO fan-out in Redis under a
namespace of its own. ``OPTIMA_TEST_PLUGINS`` limits the plugins enabled (nox sets it per plugin).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from optima_platform.app import create_asgi
from optima_platform.db import migrations
from optima_platform.host import Host
from optima_platform.servers import TaskServer, free_port
from optima_platform.settings import Settings, load_settings


def backend_name() -> str:
    return "postgres" if os.environ.get("OPTIMA_TEST_POSTGRES_URL") else "sqlite"


class DatabaseFactory:
    """Creates a fresh database per call: a SQLite file or a new Postgres database."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.pg_url = os.environ.get("OPTIMA_TEST_POSTGRES_URL")
        self.created: list[str] = []

    async def create(self) -> str:
        if not self.pg_url:
            return f"sqlite+aiosqlite:///{self.tmp / f'optima-{secrets.token_hex(4)}.db'}"
        name = f"optima_test_{secrets.token_hex(6)}"
        admin = create_async_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
        await admin.dispose()
        self.created.append(name)
        return make_url(self.pg_url).set(database=name).render_as_string(hide_password=False)

    async def drop_all(self) -> None:
        if not self.pg_url:
            return
        admin = create_async_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        async with admin.connect() as conn:
            for name in self.created:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


@pytest.fixture(scope="session")
async def databases(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DatabaseFactory]:
    factory = DatabaseFactory(tmp_path_factory.mktemp("db"))
    yield factory
    await factory.drop_all()


def make_settings(
    database_url: str,
    *,
    plugins: Iterable[str] | None = None,
    plugin_sections: dict[str, dict[str, Any]] | None = None,
    **sections: Any,
) -> Settings:
    """Settings for a test app: its own database and cache namespace, jobs off unless asked.

    ``plugins`` lists the enabled plugins (default: ``OPTIMA_TEST_PLUGINS``, else all installed);
    ``plugin_sections`` gives ``[plugins.<name>]`` tables; other keywords are top-level tables
    (``auth={...}``, ``jobs={...}``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")}
    base = load_settings(None, env=env)
    enabled = list(plugins) if plugins is not None else _env_plugins()
    jobs = sections.pop("jobs", {"enabled": False, "tick_seconds": 0.2})
    return msgspec.structs.replace(
        base,
        database_url=database_url,
        redis_url=os.environ.get("OPTIMA_TEST_REDIS_URL") or None,
        secret_key=secrets.token_urlsafe(32),
        cache_prefix=f"optima-test-{secrets.token_hex(4)}",
        plugins=msgspec.structs.replace(base.plugins, enabled=enabled),
        jobs=msgspec.convert(jobs, type(base.jobs)),
        sections={**sections, "plugins": dict(plugin_sections or {})},
    )


def _env_plugins() -> list[str] | None:
    value = os.environ.get("OPTIMA_TEST_PLUGINS")
    return [p.strip() for p in value.split(",") if p.strip()] if value else None


@dataclass(frozen=True)
class SignedInUser:
    """A user a test created, with an access token."""

    id: str
    email: str
    token: str

    @property
    def local(self) -> str:
        return self.email.split("@")[0]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class LiveApp:
    """A real server on a loopback port, its host (same process and loop) and an HTTP client."""

    host: Host
    server: TaskServer
    client: httpx.AsyncClient
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    async def token(
        self, email: str | None = None, *, roles: Iterable[str] = (), permissions: Iterable[str] = ()
    ) -> str:
        """An access token for a user (created if absent) holding ``roles`` and ``permissions``."""
        from optima_platform.core.services.tokens import issue_for_email

        email = email or f"user-{secrets.token_hex(4)}@example.test"
        issued = await issue_for_email(
            self.host, email=email, name=None, roles=list(roles), permissions=list(permissions)
        )
        return issued.access_token

    async def user(
        self, *permissions: str, roles: Iterable[str] = (), name: str | None = None, email: str | None = None
    ) -> SignedInUser:
        """A fresh user (or ``email``'s, nodes and roles added) holding ``permissions`` and ``roles``."""
        from optima_platform.core.services.tokens import issue_for_email

        email = email or f"u-{secrets.token_hex(5)}@example.test"
        issued = await issue_for_email(
            self.host, email=email, name=name, roles=list(roles), permissions=list(permissions)
        )
        return SignedInUser(issued.user_id, email.strip().lower(), issued.access_token)

    async def headers(self, *permissions: str, roles: Iterable[str] = ()) -> dict[str, str]:
        return {"Authorization": f"Bearer {await self.token(permissions=permissions, roles=roles)}"}

    async def stop(self) -> None:
        await self.client.aclose()
        await self.server.stop()


async def start_live_app(settings: Settings, *, extra_plugins: Iterable[Any] = (), migrate: bool = True) -> LiveApp:
    """Build, migrate and serve an app; stop it with ``await live.stop()``."""
    port = free_port()
    settings = msgspec.structs.replace(settings, server=msgspec.structs.replace(settings.server, port=port))
    host = Host.build(settings, extra_plugins=extra_plugins)
    asgi = create_asgi(host, auto_migrate=migrate)
    server = await TaskServer(asgi, port=port).start()
    client = httpx.AsyncClient(base_url=server.url, timeout=30)
    return LiveApp(host=host, server=server, client=client)


@pytest.fixture(scope="session")
async def live(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    """The session's shared app: every enabled plugin on a fresh database."""
    app = await start_live_app(make_settings(await databases.create()))
    yield app
    await app.stop()


async def migrated(settings: Settings) -> Host:
    host = Host.build(settings)
    await migrations.upgrade(host.db, host.lineages)
    return host
