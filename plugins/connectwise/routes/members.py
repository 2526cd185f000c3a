"""``GET /cw/members``: the cached ConnectWise member list (spec: ConnectWise Routes)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.params import QueryParameter
from optima_connectwise.services import members as svc

from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get


@get("/cw/members", description="ConnectWise members from the server-side cache, sorted by name.")
async def list_members(
    host: HostDep,
    active: Annotated[
        str, QueryParameter(description="'false' (any case) includes inactive members; any other value does not")
    ] = "true",
) -> Response[dict[str, Any]]:
    active_only = active.strip().lower() != "false"
    return envelope(await svc.list_members(host, active_only=active_only), "CW members fetched successfully!")


ROUTES = [list_members]
