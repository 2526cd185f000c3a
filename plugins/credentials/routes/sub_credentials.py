"""Sub-credential routes: ``/credential/credentials/{id}/sub-credentials`` (spec: Sub-Credentials)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.params import FromPath

from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import delete, get, post

from ..services import credentials as svc
from ..services.common import Caller
from .common import SCOPED, FieldValues, Id, Name, credential_out, credentials_out


class SubCredentialCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    fieldId: Id
    name: Name
    fields: FieldValues
    subCredentials: dict[str, Any] | None = None


@get(
    "/credential/credentials/{id:str}/sub-credentials",
    permissions=["credential.fetch", "credential.sub_credentials.fetch"],
    gate="obj.credential",
    conditional=SCOPED,
)
async def list_sub_credentials(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        items = await svc.list_sub_credentials(host, session, Caller.of(principal, request), id)
        return envelope(credentials_out(principal, items), "Sub-Credentials Fetched Successfully!")


@post(
    "/credential/credentials/{id:str}/sub-credentials",
    permissions=["credential.fetch", "credential.sub_credentials.create"],
    gate="obj.credential",
    conditional=SCOPED,
)
async def add_sub_credential(
    host: HostDep,
    principal: PrincipalDep,
    request: Request[Any, Any, Any],
    id: FromPath[str],
    data: JSONBody[SubCredentialCreate],
) -> Response[dict[str, Any]]:
    body = {k: v for k, v in msgspec.structs.asdict(data).items() if v is not None}
    async with host.db.session() as session, session.begin():
        item = await svc.add_sub_credential(host, session, Caller.of(principal, request), id, body)
        out = credential_out(principal, item)
    return envelope(out, "Sub-Credential Created Successfully!", status=201)


@delete(
    "/credential/credentials/{id:str}/sub-credentials/{subId:str}",
    permissions=["credential.fetch", "credential.sub_credentials.delete"],
    conditional=SCOPED,
    status_code=200,
)
async def remove_sub_credential(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str], subId: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        await svc.remove_sub_credential(host, session, Caller.of(principal, request), id, subId)
    return envelope(None, "Sub-Credential Removed Successfully!")


ROUTES = [list_sub_credentials, add_sub_credential, remove_sub_credential]
