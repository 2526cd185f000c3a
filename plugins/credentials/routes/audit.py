"""Audit routes: a credential's trail and the revealed-unchanged report (node ``credential.audit.read``)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.params import FromPath, QueryParameter

from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get

from ..services import audit as svc
from ..services.serialize import audit_json


@get(
    "/credential/credentials/{id:str}/audit",
    permissions=["credential.audit.read"],
    description="The audit trail of a credential and its sub-credentials, oldest first. It never holds values.",
)
async def get_audit_trail(host: HostDep, id: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows = [audit_json(entry) for entry in await svc.trail(session, id)]
    return envelope(rows, "Credential Audit Trail Fetched Successfully!")


@get(
    "/credential/reports/revealed-unchanged",
    permissions=["credential.audit.read"],
    description="Credentials whose secure values the user revealed and that still hold those values.",
)
async def revealed_unchanged(
    host: HostDep, user_id: Annotated[str, QueryParameter(name="userId", min_length=1, max_length=320)]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows = await svc.revealed_unchanged(session, await svc.resolve_user(session, user_id))
    return envelope(rows, "Revealed Unchanged Credentials Fetched Successfully!")


ROUTES = [get_audit_trail, revealed_unchanged]
