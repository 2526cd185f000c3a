"""Credential type routes: ``/credential-type`` (spec: Credential Type Routes)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.params import FromPath

from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import delete, get, patch, post
from optima_platform.permissions.gates import gate

from ..services import credentials as credential_svc
from ..services import types as svc
from ..services.common import Caller
from ..services.serialize import type_json
from .common import SCOPED, credentials_out

TypeName = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Scope = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Icon = Annotated[str, msgspec.Meta(max_length=2048)]
Definitions = Annotated[list[Any], msgspec.Meta(max_length=500)]
FieldPath = Annotated[str, msgspec.Meta(min_length=1, max_length=400)]


class TypeCreate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: TypeName
    fields: Definitions
    permissionScope: Scope | None = None
    icon: Icon | None = None


class TypeUpdate(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    name: TypeName | msgspec.UnsetType = msgspec.UNSET
    fields: Definitions | msgspec.UnsetType = msgspec.UNSET
    permissionScope: Scope | msgspec.UnsetType | None = msgspec.UNSET
    icon: Icon | msgspec.UnsetType | None = msgspec.UNSET
    dropFields: Annotated[list[FieldPath], msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET


@get("/credential-type", permissions=["credential_type.fetch.many"], gate="obj.credentialType")
async def list_types(host: HostDep, principal: PrincipalDep) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows = [type_json(ctype, count) for ctype, count in await svc.list_types(session)]
    return envelope(gate(principal.permissions, "obj.credentialType", rows), "Credential Types Fetched Successfully!")


@post("/credential-type", permissions=["credential_type.create"])
async def create_type(host: HostDep, data: JSONBody[TypeCreate]) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        ctype = await svc.create_type(
            host, session, name=data.name, fields=data.fields, permission_scope=data.permissionScope, icon=data.icon
        )
        body = type_json(ctype, 0)
    return envelope(body, "Credential Type Created Successfully!", status=201)


@get("/credential-type/{identifier:str}", permissions=["credential_type.fetch"], gate="obj.credentialType")
async def get_type(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        ctype = await svc.get_type(session, identifier)
        body = type_json(ctype, await svc.credential_count(session, ctype.id))
    return envelope(gate(principal.permissions, "obj.credentialType", body), "Credential Type Fetched Successfully!")


@patch("/credential-type/{id:str}", permissions=["credential_type.update"], conditional=SCOPED)
async def update_type(
    host: HostDep,
    principal: PrincipalDep,
    request: Request[Any, Any, Any],
    id: FromPath[str],
    data: JSONBody[TypeUpdate],
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        ctype = await svc.update_type(
            host,
            session,
            Caller.of(principal, request),
            id,
            name=None if data.name is msgspec.UNSET else data.name,
            icon=None if data.icon is msgspec.UNSET else data.icon,
            set_icon=data.icon is not msgspec.UNSET,
            permission_scope=None if data.permissionScope is msgspec.UNSET else data.permissionScope,
            set_scope=data.permissionScope is not msgspec.UNSET,
            fields=None if data.fields is msgspec.UNSET else data.fields,
            drop_fields=() if data.dropFields is msgspec.UNSET else data.dropFields,
        )
        body = type_json(ctype, await svc.credential_count(session, ctype.id))
    return envelope(body, "Credential Type Updated Successfully!")


@delete("/credential-type/{id:str}", permissions=["credential_type.delete"], conditional=SCOPED, status_code=200)
async def delete_type(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        await svc.delete_type(host, session, Caller.of(principal, request), id)
    return envelope(None, "Credential Type Deleted Successfully!")


@get(
    "/credential-type/{id:str}/credentials",
    permissions=["credential_type.fetch", "credential.fetch.many"],
    gate="obj.credential",
    conditional=SCOPED,
)
async def list_type_credentials(
    host: HostDep, principal: PrincipalDep, request: Request[Any, Any, Any], id: FromPath[str]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        items = await credential_svc.list_for_type(host, session, Caller.of(principal, request), id)
        return envelope(credentials_out(principal, items), "Credentials Fetched Successfully!")


ROUTES = [list_types, create_type, get_type, update_type, delete_type, list_type_credentials]
