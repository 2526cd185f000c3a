"""Assemble the ASGI application: Litestar (REST under /v1) wrapped by Socket.IO (/socket.io/)."""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Litestar, Request, Router
from litestar.config.cors import CORSConfig
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.static_files import create_static_files_router

from optima_platform import __version__
from optima_platform.db import migrations
from optima_platform.hooks.registry import PluginError
from optima_platform.host import Host, RouteInfo
from optima_platform.http.exceptions import EXCEPTION_HANDLERS
from optima_platform.http.guard import permission_guard, unauthorized
from optima_platform.http.request import OptimaRequest, enveloped_schema_404, reject_nul_bytes
from optima_platform.permissions.principal import Principal
from optima_platform.settings import SettingsError

log = logging.getLogger("optima")
BASE = "/v1"
SCHEMA_PATH = f"{BASE}/schema"
STATIC_PATH = f"{SCHEMA_PATH}/static"


def provide_host(request: Request[Any, Any, Any]) -> Host:
    return request.app.state.host


def provide_principal(request: Request[Any, Any, Any]) -> Principal:
    principal = getattr(request.state, "principal", None)
    if principal is None:
        raise unauthorized()
    return principal


def _served_path(path: str) -> str:
    return re.sub(r"\{(\w+):[^}]*\}", r"{\1}", path)


def _route_table(app: Litestar) -> list[RouteInfo]:
    out: list[RouteInfo] = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            plugin = handler.opt.get("plugin")
            if plugin is None:
                continue
            for method in sorted(handler.http_methods):
                if method in {"HEAD", "OPTIONS"}:
                    continue
                out.append(
                    RouteInfo(
                        method=method,
                        path=_served_path(route.path),
                        plugin=plugin,
                        auth=handler.opt.get("auth", "token"),
                        permissions=list(handler.opt.get("permissions", ())),
                        gate=handler.opt.get("gate"),
                        conditional=dict(handler.opt.get("conditional", {})),
                    )
                )
    return sorted(out, key=lambda r: (r.path, r.method))


def _openapi() -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
        css_url=f"{STATIC_PATH}/swagger-ui.css",
        standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui-standalone-preset.js",
        path="/",
        favicon=f"<link rel='icon' type='image/png' href='{STATIC_PATH}/favicon-32x32.png'>",
    )
    return OpenAPIConfig(
        title="Optima API",
        version=__version__,
        path=SCHEMA_PATH,
        render_plugins=[swagger],
        components=Components(
            security_schemes={
                "BearerToken": SecurityScheme(type="http", scheme="bearer", bearer_format="JWT"),
                "ApiKey": SecurityScheme(
                    type="apiKey",
                    name="Authorization",
                    security_scheme_in="header",
                    description="`Key <api key>`",
                ),
            }
        ),
        security=[{"BearerToken": []}, {"ApiKey": []}],
    )


def create_litestar(
    host: Host,
    *,
    auto_migrate: bool = False,
    run_jobs: bool | None = None,
    after_start: list[Callable[[], Awaitable[None]]] | None = None,
) -> Litestar:
    """The Litestar app serving every enabled plugin's routes under ``/v1``."""
    routers = [
        Router(path=BASE, route_handlers=handlers, guards=[permission_guard], opt={"plugin": plugin})
        for plugin, handlers in host.hooks.collect("optima_routes")
    ]
    static = create_static_files_router(
        path=STATIC_PATH, directories=[Path(swagger_ui_bundle.swagger_ui_path)], include_in_schema=False
    )
    jobs_on = host.settings.jobs.enabled if run_jobs is None else run_jobs

    async def on_startup(app: Litestar) -> None:
        if auto_migrate:
            await migrations.upgrade(host.db, host.lineages)
        try:
            await host.start()
        except (PluginError, SettingsError) as exc:
            host.state["startup_error"] = exc
            raise
        for callback in after_start or ():
            await callback()
        if jobs_on:
            host.scheduler.start()

    async def on_shutdown(app: Litestar) -> None:
        await host.stop()

    cors = CORSConfig(allow_origins=host.settings.server.cors_origins) if host.settings.server.cors_origins else None
    app = Litestar(
        route_handlers=[*routers, static],
        dependencies={
            "host": Provide(provide_host, sync_to_thread=False),
            "principal": Provide(provide_principal, sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        request_class=OptimaRequest,
        request_max_body_size=host.settings.server.max_body_bytes,
        openapi_config=_openapi(),
        cors_config=cors,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        debug=False,
        state=None,
    )
    app.state.host = host
    host.routes = _route_table(app)
    for route in host.routes:
        host.permissions.record_use(route.permissions, f"{route.method} {route.path}")
        host.permissions.record_use(route.conditional.values(), f"{route.method} {route.path}")
        if route.gate:
            host.permissions.record_gate_use(route.gate, f"{route.method} {route.path}")
    return app


def create_asgi(
    host: Host,
    *,
    auto_migrate: bool = False,
    run_jobs: bool | None = None,
    after_start: list[Callable[[], Awaitable[None]]] | None = None,
) -> Any:
    """The served ASGI app: Socket.IO at ``/socket.io/`` in front of the Litestar app."""
    app = create_litestar(host, auto_migrate=auto_migrate, run_jobs=run_jobs, after_start=after_start)
    return host.realtime.asgi(reject_nul_bytes(enveloped_schema_404(_short_startup_errors(app, host), SCHEMA_PATH)))


def _short_startup_errors(app: Any, host: Host) -> Any:
    """Report a plugin's start-up refusal as its one line, not as a lifespan traceback."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return

        async def send_short(message: dict[str, Any]) -> None:
            error = host.state.get("startup_error")
            if message.get("type") == "lifespan.startup.failed" and error is not None:
                message = {**message, "message": f"optima: {error}"}
            await send(message)

        await app(scope, receive, send_short)

    return asgi
