"""``optima serve``: build the host, migrate the embedded default, run uvicorn (and the demo)."""

from __future__ import annotations

import logging

import msgspec
import uvicorn

from optima_platform.app import SCHEMA_PATH, create_asgi
from optima_platform.demo import DemoRun
from optima_platform.hooks.registry import resolve
from optima_platform.host import Host
from optima_platform.settings import ensure_secret_key, load_settings, redact

log = logging.getLogger("optima")


async def serve(config: str | None, *, bind: str | None, port: int | None, demo: bool) -> None:
    settings = load_settings(config)
    server_settings = settings.server
    if bind:
        server_settings = msgspec.structs.replace(server_settings, host=bind)
    if port:
        server_settings = msgspec.structs.replace(server_settings, port=port)
    settings = msgspec.structs.replace(settings, server=server_settings)
    run = DemoRun()
    if demo:
        preview = Host.build(settings, introspect=True)
        for impl in preview.hooks._impls("optima_demo_prepare"):
            section = preview.installed[impl.plugin_name].manifest.section
            await resolve(impl.function(run.for_plugin(impl.plugin_name, section)))
        settings = run.apply(settings)
    settings = ensure_secret_key(settings)
    host = Host.build(settings)
    host.state["demo"] = run if demo else None

    async def seed() -> None:
        if demo:
            for impl in host.hooks._impls("optima_demo_seed"):
                section = host.installed[impl.plugin_name].manifest.section
                await resolve(impl.function(host, run.for_plugin(impl.plugin_name, section)))
        _banner(host, run if demo else None)

    auto_migrate = demo or host.db.backend == "sqlite"
    asgi = create_asgi(host, auto_migrate=auto_migrate, after_start=[seed])
    server = uvicorn.Server(
        uvicorn.Config(
            asgi,
            host=settings.server.host,
            port=settings.server.port,
            lifespan="on",
            log_level=settings.server.log_level,
            proxy_headers=True,
            forwarded_allow_ips=settings.server.forwarded_allow_ips,
            access_log=settings.server.access_log,
        )
    )
    try:
        await server.serve()
    finally:
        await run.stop()
    error = host.state.get("startup_error")
    if error is not None:
        raise StartupFailed(str(error))


class StartupFailed(Exception):
    """A plugin refused to start; its one-line reason has been printed already."""


def _banner(host: Host, run: DemoRun | None) -> None:
    url = host.settings.public_url
    lines = [
        f"Optima is serving {url}/v1 (plugins: {', '.join(host.enabled)})",
        f"API docs: {url}{SCHEMA_PATH}   OpenAPI: {url}{SCHEMA_PATH}/openapi.json",
        f"Database: {redact(host.settings.database_url)}   Cache: {host.stores.backend}",
    ]
    if run is not None:
        lines += run.lines
    print("\n".join(lines), flush=True)
