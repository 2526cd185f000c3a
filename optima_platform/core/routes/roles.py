"""Role routes: ``/role`` (spec: Role Routes)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response
from litestar.params import FromPath

from optima_platform.core.models import Role
from optima_platform.core.services import roles as svc
from optima_platform.core.services.delegation import require_delegable
from optima_platform.core.services.principals import bump_role_epoch
from optima_platform.core.services.serialize import role_json, user_json
from optima_platform.core.services.users import users_with_role
from optima_platform.db.base import lock_row, utcnow
from optima_platform.host import Host
from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.errors import ApiError
from optima_platform.http.routes import delete, get, patch, post
from optima_platform.permissions.gates import gate
from optima_platform.permissions.principal import Principal

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
Moniker = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Nodes = Annotated[list[Annotated[str, msgspec.Meta(min_length=1, max_length=200)]], msgspec.Meta(max_length=1000)]


class RoleCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title
    moniker: Moniker
    permissions: Nodes = []


class RoleUpdate(msgspec.Struct, forbid_unknown_fields=True):
    title: Title | msgspec.UnsetType = msgspec.UNSET
    moniker: Moniker | msgspec.UnsetType = msgspec.UNSET
    permissions: Nodes | msgspec.UnsetType = msgspec.UNSET


class RolePermissions(msgspec.Struct, forbid_unknown_fields=True):
    permissions: Nodes


@post("/role", permissions=["role.create"])
async def create_role(host: HostDep, principal: PrincipalDep, data: JSONBody[RoleCreate]) -> Response[dict[str, Any]]:
    svc.check_moniker(data.moniker)
    svc.check_entries(host, data.permissions, "permissions")
    require_delegable(principal.permissions, data.permissions)
    async with host.db.session() as session, session.begin():
        await svc.ensure_unique_moniker(session, data.moniker)
        role = Role(title=data.title, moniker=data.moniker, permissions=list(dict.fromkeys(data.permissions)))
        session.add(role)
        await session.flush()
        body = role_json(role)
    return envelope(body, "Role Created Successfully!", status=201)


@get("/role", permissions=["role.read", "role.list"], gate="obj.role")
async def list_roles(host: HostDep, principal: PrincipalDep) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows = [role_json(r) for r in await svc.list_roles(session)]
    return envelope(gate(principal.permissions, "obj.role", rows), "Roles Fetched Successfully!")


@get("/role/{identifier:str}", permissions=["role.read"], gate="obj.role")
async def get_role(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        role = await svc.get_role(session, identifier)
        return envelope(gate(principal.permissions, "obj.role", role_json(role)), "Role Fetched Successfully!")


@patch("/role/{identifier:str}", permissions=["role.modify"])
async def update_role(
    host: HostDep, principal: PrincipalDep, identifier: FromPath[str], data: JSONBody[RoleUpdate]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        role = await svc.get_role(session, identifier)
        await lock_row(session, Role, role.id)
        await session.refresh(role)
        if data.moniker is not msgspec.UNSET and data.moniker != role.moniker:
            if role.moniker in svc.PROTECTED:
                raise ApiError(400, f"The '{role.moniker}' role's moniker cannot be changed.", "ProtectedRole")
            svc.check_moniker(data.moniker)
            await svc.ensure_unique_moniker(session, data.moniker, exclude_id=role.id)
            role.moniker = data.moniker
        if data.title is not msgspec.UNSET:
            role.title = data.title
        if data.permissions is not msgspec.UNSET:
            svc.check_entries(host, data.permissions, "permissions")
            svc.check_not_protected(role)
            require_delegable(principal.permissions, set(data.permissions) - set(role.permissions or []))
            role.permissions = list(dict.fromkeys(data.permissions))
        role.updated_at = utcnow()
        await session.flush()
        body = role_json(role)
    await bump_role_epoch(host)
    return envelope(body, "Role Updated Successfully!")


@delete("/role/{identifier:str}", permissions=["role.delete"], status_code=200)
async def delete_role(host: HostDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        role = await svc.get_role(session, identifier)
        if role.moniker in svc.PROTECTED:
            raise ApiError(400, f"The '{role.moniker}' role cannot be deleted.", "ProtectedRole")
        body = {k: v for k, v in role_json(role).items() if k != "permissions"}
        await session.delete(role)
    await bump_role_epoch(host)
    return envelope(body, "Role Deleted Successfully!")


async def _change_permissions(
    host: Host, principal: Principal, identifier: str, nodes: list[str], *, add: bool
) -> dict[str, Any]:
    """Merge (without duplicates) or remove nodes, under the role's row lock (no lost updates)."""
    if add:
        svc.check_entries(host, nodes, "permissions")
    async with host.db.session() as session, session.begin():
        role = await svc.get_role(session, identifier)
        await lock_row(session, Role, role.id)
        await session.refresh(role)
        svc.check_not_protected(role)
        current = list(role.permissions or [])
        if add:
            require_delegable(principal.permissions, set(nodes) - set(current))
            role.permissions = list(dict.fromkeys([*current, *nodes]))
        else:
            removing = set(nodes)
            role.permissions = [n for n in current if n not in removing]
        role.updated_at = utcnow()
        await session.flush()
        body = role_json(role)
    await bump_role_epoch(host)
    return body


@post("/role/{identifier:str}/permissions", permissions=["role.modify"], status_code=200)
async def add_permissions(
    host: HostDep, principal: PrincipalDep, identifier: FromPath[str], data: JSONBody[RolePermissions]
) -> Response[dict[str, Any]]:
    body = await _change_permissions(host, principal, identifier, data.permissions, add=True)
    return envelope(body, "Permissions Added Successfully!")


@delete("/role/{identifier:str}/permissions", permissions=["role.modify"], status_code=200)
async def remove_permissions(
    host: HostDep, principal: PrincipalDep, identifier: FromPath[str], data: JSONBody[RolePermissions]
) -> Response[dict[str, Any]]:
    body = await _change_permissions(host, principal, identifier, data.permissions, add=False)
    return envelope(body, "Permissions Removed Successfully!")


@get("/role/{identifier:str}/users", permissions=["role.read", "user.read"], gate="obj.user")
async def role_users(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        role = await svc.get_role(session, identifier)
        rows = [user_json(u, role_ids=True) for u in await users_with_role(session, role)]
    return envelope(gate(principal.permissions, "obj.user", rows), "Users Fetched Successfully!")


ROUTES = [
    create_role,
    list_roles,
    get_role,
    update_role,
    delete_role,
    add_permissions,
    remove_permissions,
    role_users,
]
