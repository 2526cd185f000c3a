"""Authentication and the permission guard every plugin route passes through."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from optima_platform.http.errors import ApiError
from optima_platform.permissions.principal import Principal

if TYPE_CHECKING:
    from optima_platform.host import Host

SCHEMES = {"bearer": "Bearer", "key": "Key"}


def unauthorized(message: str = "Unauthorized") -> ApiError:
    return ApiError(401, message, "Unauthorized")


def insufficient(missing: list[str], message: str = "Insufficient permissions") -> ApiError:
    return ApiError(403, message, "InsufficientPermission", missing=missing)


def parse_authorization(value: str | None) -> tuple[str, str] | None:
    """``Bearer <t>`` / ``Key <t>`` → (scheme, token); anything else → None."""
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    canonical = SCHEMES.get(scheme.lower())
    token = token.strip()
    if canonical is None or not token:
        return None
    return canonical, token


async def authenticate(host: Host, authorization: str | None) -> Principal:
    """The principal for an ``Authorization`` header value, or a 401."""
    parsed = parse_authorization(authorization)
    if parsed is None:
        raise unauthorized()
    principal = await host.hooks.afirst("optima_authenticate", host=host, scheme=parsed[0], token=parsed[1])
    if principal is None:
        raise unauthorized()
    return principal


async def permission_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Authenticate token routes and require every node the handler declared (403 lists the missing)."""
    opt = handler.opt
    if opt.get("auth", "token") != "token":
        return
    host: Host = connection.app.state.host
    principal = await authenticate(host, connection.headers.get("authorization"))
    connection.state.principal = principal
    missing = principal.permissions.missing(opt.get("permissions", ()))
    if missing:
        raise insufficient(missing)


def require(principal: Principal, *nodes: str, message: str = "Insufficient permissions") -> None:
    """A conditional check inside a handler: 403 with ``missing`` unless every node is granted."""
    missing = principal.permissions.missing(nodes)
    if missing:
        raise insufficient(missing, message)
