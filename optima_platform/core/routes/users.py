"""User routes: ``/user/@me`` and ``/user/users`` (spec: User Routes, Other User Routes)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response
from litestar.params import FromPath

from optima_platform.core.services import users as svc
from optima_platform.core.services.checks import check_permissions
from optima_platform.core.services.principals import permissions_for
from optima_platform.core.services.roles import check_entries
from optima_platform.core.services.serialize import role_json, user_json
from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.guard import insufficient
from optima_platform.http.routes import delete, get, patch, post
from optima_platform.permissions.gates import gate
from optima_platform.permissions.principal import Principal

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
ImageUrl = Annotated[str, msgspec.Meta(max_length=2048)]
Node = Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ProfileUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    image: ImageUrl | msgspec.UnsetType | None = msgspec.UNSET


class UserUpdate(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    image: ImageUrl | msgspec.UnsetType | None = msgspec.UNSET
    roles: Annotated[list[Node], msgspec.Meta(max_length=200)] | msgspec.UnsetType = msgspec.UNSET
    permissions: Annotated[list[Node], msgspec.Meta(max_length=1000)] | msgspec.UnsetType = msgspec.UNSET


class PermissionQuery(msgspec.Struct, forbid_unknown_fields=True):
    permissions: Annotated[list[Node], msgspec.Meta(max_length=500)]


def _may_read_email(principal: Principal) -> bool:
    """Users are found by email only for callers who may read emails (no email oracle)."""
    return principal.allows("obj.user.email")


def _value(value: Any) -> Any:
    return None if value is msgspec.UNSET else value


@get("/user/@me", permissions=["user.read"], gate="obj.user")
async def get_me(host: HostDep, principal: PrincipalDep) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        user = await svc.get_user(session, principal.user_id)
        return envelope(gate(principal.permissions, "obj.user", user_json(user)), "Fetched user.")


@patch("/user/@me", permissions=["user.write"])
async def patch_me(host: HostDep, principal: PrincipalDep, data: JSONBody[ProfileUpdate]) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        user = await svc.get_user(session, principal.user_id)
        user = await svc.update_user(host, session, user, name=_value(data.name), image=data.image)
        body = user_json(user)
    return envelope({k: body[k] for k in ("id", "name", "email", "image")}, "Successfully updated user.")


@post("/user/@me/check-permission", permissions=["user.read"], status_code=200)
async def check_me(host: HostDep, principal: PrincipalDep, data: JSONBody[PermissionQuery]) -> Response[dict[str, Any]]:
    return envelope(
        {"results": check_permissions(principal.permissions, data.permissions)}, "Permission check completed."
    )


@get("/user/users", permissions=["user.read.other", "user.list.other"], gate="obj.user")
async def list_users(host: HostDep, principal: PrincipalDep) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows = [user_json(u) for u in await svc.list_users(session)]
    return envelope(gate(principal.permissions, "obj.user", rows), "Users Fetched Successfully!")


@get("/user/users/{identifier:str}", permissions=["user.read.other"], gate="obj.user")
async def get_user(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        user = await svc.get_user(session, identifier, by_email=_may_read_email(principal))
        return envelope(gate(principal.permissions, "obj.user", user_json(user)), "User Fetched Successfully!")


@patch(
    "/user/users/{identifier:str}",
    permissions=["user.write.other"],
    conditional={"body.roles": "user.roles.other", "body.permissions": "user.permissions.other"},
)
async def patch_user(
    host: HostDep, principal: PrincipalDep, identifier: FromPath[str], data: JSONBody[UserUpdate]
) -> Response[dict[str, Any]]:
    conditional = []
    if data.roles is not msgspec.UNSET:
        conditional.append(("user.roles.other", "You do not have permission to modify roles on another user."))
    if data.permissions is not msgspec.UNSET:
        conditional.append(
            ("user.permissions.other", "You do not have permission to modify permissions on another user.")
        )
    missing = principal.permissions.missing(node for node, _ in conditional)
    if missing:
        raise insufficient(missing, next(text for node, text in conditional if node == missing[0]))
    async with host.db.session() as session, session.begin():
        user = await svc.get_user(session, identifier, by_email=_may_read_email(principal))
        if data.permissions is not msgspec.UNSET:
            check_entries(host, data.permissions, "permissions")
        await svc.check_delegation(
            session, principal, user, roles=_value(data.roles), permissions=_value(data.permissions)
        )
        user = await svc.update_user(
            host,
            session,
            user,
            name=_value(data.name),
            image=data.image,
            roles=_value(data.roles),
            permissions=_value(data.permissions),
        )
        body = user_json(user)
    return envelope(body, "User Updated Successfully!")


@delete("/user/users/{identifier:str}", permissions=["user.delete.other"], status_code=200)
async def delete_user(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session, session.begin():
        user = await svc.get_user(session, identifier, by_email=_may_read_email(principal))
        body = user_json(user)
        await svc.delete_user(session, user)
    return envelope(body, "User Deleted Successfully!")


@get("/user/users/{identifier:str}/roles", permissions=["user.read.other", "role.read"], gate="obj.role")
async def get_user_roles(host: HostDep, principal: PrincipalDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        user = await svc.get_user(session, identifier, by_email=_may_read_email(principal))
        rows = [role_json(r) for r in sorted(user.roles, key=lambda r: r.moniker)]
    return envelope(gate(principal.permissions, "obj.role", rows), "User Roles Fetched Successfully!")


@post("/user/users/{identifier:str}/check-permission", permissions=["user.read.other"], status_code=200)
async def check_user(
    host: HostDep, principal: PrincipalDep, identifier: FromPath[str], data: JSONBody[PermissionQuery]
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        user = await svc.get_user(session, identifier, by_email=_may_read_email(principal))
        perms = await permissions_for(host, session, user.id, user.perm_version)
    return envelope({"results": check_permissions(perms, data.permissions)}, "Permission check completed.")


ROUTES = [get_me, patch_me, check_me, list_users, get_user, patch_user, delete_user, get_user_roles, check_user]
