"""Secure value routes: ``/credential/credentials/{id}/secure-values`` (decrypted on the server, audited)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response
from litestar.params import FromPath

from optima_platform.http.deps import HostDep, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get

from ..services import secure as svc
from ..services.common import Caller
from .common import SCOPED

NODES = ["credential.fetch", "credential.secure_values.read"]
NO_STORE = {"Cache-Control": "no-store"}


@get("/credential/credentials/{id:str}/secure-values", permissions=NODES, conditional=SCOPED)
async def read_secure_values(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        values = await svc.reveal_all(host, session, Caller.of(principal, request), id)
    response = envelope(values, "Secure Values Fetched Successfully!")
    response.headers.update(NO_STORE)
    return response


@get("/credential/credentials/{id:str}/secure-values/{fieldId:str}", permissions=NODES, conditional=SCOPED)
async def read_secure_value(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str], fieldId: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        value = await svc.reveal_one(host, session, Caller.of(principal, request), id, fieldId)
    response = envelope(value, "Secure Value Fetched Successfully!")
    response.headers.update(NO_STORE)
    return response


ROUTES = [read_secure_values, read_secure_value]
