"""Credential routes: ``/credential/credentials`` (spec: Credential Routes)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Response
from litestar.params import FromPath

from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import delete, get, patch, post, put

from ..services import credentials as svc
from ..services.common import Caller
from ..services.serialize import stored_values_json
from .common import SCOPED, FieldValues, Id, Name, Notes, credential_out, credentials_out


class CredentialCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name
    typeId: Id
    companyId: Id
    fields: FieldValues
    notes: Notes | None = None
    subCredentials: dict[str, Any] | None = None


class CredentialUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    notes: Notes | msgspec.UnsetType | None = msgspec.UNSET
    fields: FieldValues | msgspec.UnsetType = msgspec.UNSET


class FieldsUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    fields: FieldValues


@post("/credential/credentials", permissions=["credential.create"], gate="obj.credential", conditional=SCOPED)
async def create_credential(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], data: JSONBody[CredentialCreate]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        item = await svc.create(
            host,
            session,
            Caller.of(principal, request),
            name=data.name,
            notes=data.notes,
            type_id=data.typeId,
            company_id=data.companyId,
            fields=data.fields,
            sub_credentials=data.subCredentials,
        )
        body = credential_out(principal, item)
    return envelope(body, "Credential Created Successfully!", status=201)


@get("/credential/credentials/{id:str}", permissions=["credential.fetch"], gate="obj.credential", conditional=SCOPED)
async def get_credential(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        item = await svc.fetch(host, session, Caller.of(principal, request), id)
        return envelope(credential_out(principal, item), "Credential Fetched Successfully!")


@get(
    "/credential/credentials/company/{companyId:str}",
    permissions=["credential.fetch.many"],
    gate="obj.credential",
    conditional=SCOPED,
)
async def list_company_credentials(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], companyId: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        items = await svc.list_for_company(host, session, Caller.of(principal, request), companyId)
        return envelope(credentials_out(principal, items), "Company Credentials Fetched Successfully!")


@patch("/credential/credentials/{id:str}", permissions=["credential.update"], gate="obj.credential", conditional=SCOPED)
async def update_credential(
    host: HostDep,
    principal: PrincipalDep,
    request: Request[Any, Any, Any],
    id: FromPath[str],
    data: JSONBody[CredentialUpdate],
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        item = await svc.update(
            host,
            session,
            Caller.of(principal, request),
            id,
            name=None if data.name is msgspec.UNSET else data.name,
            notes=None if data.notes is msgspec.UNSET else data.notes,
            set_notes=data.notes is not msgspec.UNSET,
            fields=None if data.fields is msgspec.UNSET else data.fields,
        )
        body = credential_out(principal, item)
    return envelope(body, "Credential Updated Successfully!")


@put(
    "/credential/credentials/{id:str}/fields",
    permissions=["credential.update", "credential.fields.update"],
    gate="obj.credential",
    conditional=SCOPED,
)
async def update_credential_fields(
    host: HostDep,
    principal: PrincipalDep,
    request: Request[Any, Any, Any],
    id: FromPath[str],
    data: JSONBody[FieldsUpdate],
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        item = await svc.update(host, session, Caller.of(principal, request), id, fields=data.fields)
        body = credential_out(principal, item)
    return envelope(body, "Credential Fields Updated Successfully!")


@get(
    "/credential/credentials/{id:str}/fields",
    permissions=["credential.fetch", "credential.fields.fetch"],
    conditional=SCOPED,
)
async def get_credential_fields(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        item = await svc.fetch(host, session, Caller.of(principal, request), id)
        return envelope(stored_values_json(item), "Credential Fields Fetched Successfully!")


@delete("/credential/credentials/{id:str}", permissions=["credential.delete"], conditional=SCOPED, status_code=200)
async def delete_credential(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    caller = Caller.of(principal, request)
    async with host.db.session() as session, session.begin():
        await svc.remove(host, session, caller, await svc.fetch(host, session, caller, id, sub_node=svc.SUB_DELETE))
    return envelope(None, "Credential Deleted Successfully!")


ROUTES = [
    create_credential,
    get_credential,
    list_company_credentials,
    update_credential,
    update_credential_fields,
    get_credential_fields,
    delete_credential,
]
