"""``POST /cw/callback/{secret}/{resource}``: ConnectWise's change notifications (spec: ConnectWise Routes).

The secret is checked by a guard, before the body is read: a wrong one, or any call while none is
configured, is a 403 whatever the body holds.
"""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler
from litestar.params import FromPath
from optima_connectwise.connection import settings_of
from optima_connectwise.services import callbacks as svc

from optima_platform.http.deps import HostDep, JSONBody
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import post


async def callback_secret_guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    settings = settings_of(connection.app.state.host)
    if not svc.secret_matches(settings.callback_secret, str(connection.path_params.get("secret", ""))):
        raise svc.forbidden()


@post(
    "/cw/callback/{secret:str}/{resource:str}",
    auth="secret",
    guards=[callback_secret_guard],
    status_code=200,
    description="Receives a ConnectWise callback (opportunity, ticket, company, activity) and acts on it.",
)
async def receive_callback(
    host: HostDep, resource: FromPath[str], data: JSONBody[dict[str, Any] | None] = None
) -> Response[dict[str, Any]]:
    return envelope(await svc.handle(host, resource, data), "CW callback received.")


ROUTES = [receive_callback]
