"""Host routes the core plugin serves: teapot, health, readiness and the plugin list."""

from __future__ import annotations

import asyncio
from typing import Any

from litestar import Response

from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope, error_body
from optima_platform.http.routes import get


@get("/teapot", auth="none", summary="I'm a teapot")
async def teapot() -> Response[dict[str, Any]]:
    """The spec's easter egg: 418 in the envelope."""
    return Response({"status": 418, "message": "I'm a teapot", "successful": False}, status_code=418)


@get("/health", auth="none", summary="Liveness")
async def health() -> Response[dict[str, Any]]:
    """The process is up and answering."""
    return envelope({"alive": True}, "OK")


@get("/ready", auth="none", summary="Readiness: database and cache reachable")
async def ready(host: HostDep) -> Response[dict[str, Any]]:
    """200 when the database and the cache answer within two seconds each, else 503."""
    checks: dict[str, str] = {}
    for name, probe in (("database", host.db.ping), ("cache", host.stores.ping)):
        try:
            await asyncio.wait_for(probe(), timeout=2.0)
            checks[name] = "ok"
        except Exception as exc:
            checks[name] = f"unavailable: {type(exc).__name__}"
    if all(value == "ok" for value in checks.values()):
        return envelope({"ready": True, "checks": checks}, "Ready")
    body = error_body(503, "Not ready", "ServiceUnavailable", data={"ready": False, "checks": checks})
    return Response(body, status_code=503)


@get("/plugins", permissions=["plugins.read"], summary="Installed plugins and their contributions")
async def list_plugins(host: HostDep) -> Response[dict[str, Any]]:
    return envelope(host.manifest_json(), "Plugins fetched successfully!")


ROUTES = [teapot, health, ready, list_plugins]
