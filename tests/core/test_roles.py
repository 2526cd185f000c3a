"""Role routes over real HTTP: ``/role`` (spec: Role Routes)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from sqlalchemy import func, select

from optima_platform.core.models import Role, User, user_roles
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app
from optima_platform.testing.fixtures import SignedInUser as Person

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ROLE_KEYS = {"id", "title", "moniker", "permissions", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    yield live
    await live.stop()


async def person(app: LiveApp, *permissions: str, roles: Iterable[str] = (), name: str | None = None) -> Person:
    return await app.user(*permissions, roles=roles, name=name)


def moniker() -> str:
    return f"role_{secrets.token_hex(4)}"


async def create(app: LiveApp, *permissions: str, title: str = "Test Role", name: str | None = None) -> dict[str, Any]:
    """A role made over HTTP by a role creator; returns its ``data``."""
    creator = await person(app, "role.create", "*")
    body = {"title": title, "moniker": name or moniker(), "permissions": list(permissions)}
    response = await app.client.post("/v1/role", json=body, headers=creator.headers)
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def db_role(app: LiveApp, role_id: str) -> Role | None:
    async with app.host.db.session() as session:
        return await session.get(Role, role_id)


def validation_errors(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["message"] == "Validation error" and body["error"] == "ValidationError"
    assert body["successful"] is False and body["errors"]
    for error in body["errors"]:
        assert set(error) == {"path", "message"} and isinstance(error["path"], list) and error["message"]
    return body["errors"]


def not_found(response: Any, identifier: str) -> None:
    assert response.status_code == 404, response.text
    assert response.json() == {
        "status": 404,
        "message": f"Role with identifier '{identifier}' was not found.",
        "error": "RoleNotFound",
        "successful": False,
    }


def times_ok(data: dict[str, Any]) -> None:
    assert ISO.match(data["createdAt"]) and ISO.match(data["updatedAt"]), data
    assert data["updatedAt"] >= data["createdAt"]


def strip_times(data: dict[str, Any]) -> dict[str, Any]:
    times_ok(data)
    return {k: v for k, v in data.items() if k not in ("createdAt", "updatedAt")}


# --- POST /role -------------------------------------------------------------------------------------


async def test_create_role(app: LiveApp) -> None:
    creator = await person(app, "role.create", "*")
    name = moniker()
    body = {
        "title": "System Administrator",
        "moniker": name,
        "permissions": ["user.read", "user.write", "company.fetch", "role.*", "-role.delete", "user.read"],
    }
    response = await app.client.post("/v1/role", json=body, headers=creator.headers)
    assert response.status_code == 201
    payload = response.json()
    assert set(payload) == {"status", "message", "data", "successful"}
    assert payload["status"] == 201 and payload["message"] == "Role Created Successfully!"
    assert payload["successful"] is True
    data = payload["data"]
    assert set(data) == ROLE_KEYS
    assert strip_times(data) == {
        "id": data["id"],
        "title": "System Administrator",
        "moniker": name,
        "permissions": ["user.read", "user.write", "company.fetch", "role.*", "-role.delete"],
    }
    assert data["createdAt"] == data["updatedAt"]
    row = await db_role(app, data["id"])
    assert row is not None and row.moniker == name and row.permissions == data["permissions"]


async def test_create_role_permissions_default_to_empty(app: LiveApp) -> None:
    creator = await person(app, "role.create", "*")
    response = await app.client.post("/v1/role", json={"title": "Empty", "moniker": moniker()}, headers=creator.headers)
    assert response.status_code == 201 and response.json()["data"]["permissions"] == []


async def test_create_role_moniker_conflict_is_409(app: LiveApp) -> None:
    existing = await create(app, "user.read")
    creator = await person(app, "role.create", "*")
    for taken in (existing["moniker"], "admin"):
        response = await app.client.post(
            "/v1/role", json={"title": "Dup", "moniker": taken, "permissions": []}, headers=creator.headers
        )
        assert response.status_code == 409
        assert response.json() == {
            "status": 409,
            "message": f"Role with moniker '{taken}' already exists.",
            "error": "RoleExists",
            "successful": False,
        }
    async with app.host.db.session() as session:
        count = await session.scalar(select(func.count()).select_from(Role).where(Role.moniker == existing["moniker"]))
    assert count == 1


async def test_create_role_unknown_and_malformed_nodes(app: LiveApp) -> None:
    creator = await person(app, "role.create", "*")
    name = moniker()
    body = {"title": "Bad", "moniker": name, "permissions": ["user.read", "nope.node", "zzz.*", "bad node", "-ghost"]}
    errors = validation_errors(await app.client.post("/v1/role", json=body, headers=creator.headers))
    assert errors == [
        {"path": ["permissions", 1], "message": "Unknown permission node 'nope.node'"},
        {"path": ["permissions", 2], "message": "Unknown permission node 'zzz.*'"},
        {"path": ["permissions", 3], "message": "'bad node' is not a permission node"},
        {"path": ["permissions", 4], "message": "Unknown permission node '-ghost'"},
    ]
    async with app.host.db.session() as session:
        assert (await session.execute(select(Role).where(Role.moniker == name))).scalar_one_or_none() is None


@pytest.mark.parametrize("bad", ["Has Space", "UPPER", "", "-leading", "x" * 101, "ünïcode"])
async def test_create_role_bad_moniker(app: LiveApp, bad: str) -> None:
    creator = await person(app, "role.create", "*")
    response = await app.client.post("/v1/role", json={"title": "T", "moniker": bad}, headers=creator.headers)
    [error] = validation_errors(response)
    assert error["path"] == ["moniker"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"moniker": "no_title"}, ["title"], "Object missing required field `title`"),
        ({"title": "No moniker"}, ["moniker"], "Object missing required field `moniker`"),
        ({"title": 5, "moniker": "x"}, ["title"], "Expected `str`, got `int`"),
        ({"title": "", "moniker": "x"}, ["title"], "Expected `str` of length >= 1"),
        ({"title": "T", "moniker": "x", "permissions": "user.read"}, ["permissions"], "Expected `array`, got `str`"),
        (
            {"title": "T", "moniker": "x", "permissions": ["user.read", 1]},
            ["permissions", 1],
            "Expected `str`, got `int`",
        ),
        ({"title": "T", "moniker": "x", "users": []}, ["users"], "Object contains unknown field `users`"),
    ],
)
async def test_create_role_validation(app: LiveApp, body: dict[str, Any], path: list[Any], message: str) -> None:
    creator = await person(app, "role.create", "*")
    [error] = validation_errors(await app.client.post("/v1/role", json=body, headers=creator.headers))
    assert error["message"].startswith(message), error
    assert error["path"] == path, error


# --- GET /role, GET /role/{identifier} ---------------------------------------------------------------


async def test_list_roles_sorted_and_complete(app: LiveApp) -> None:
    made = await create(app, "company.fetch", title="Listed")
    reader = await person(app, "role.read", "role.list", "obj.role.*")
    response = await app.client.get("/v1/role", headers=reader.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Roles Fetched Successfully!" and body["status"] == 200 and body["successful"] is True
    rows = body["data"]
    monikers = [r["moniker"] for r in rows]
    assert monikers == sorted(monikers) and {"admin", made["moniker"]} <= set(monikers)
    assert all(set(r) == ROLE_KEYS for r in rows)
    by_moniker = {r["moniker"]: r for r in rows}
    assert by_moniker[made["moniker"]] == made
    assert strip_times(by_moniker["admin"]) == {
        "id": by_moniker["admin"]["id"],
        "title": "Administrator",
        "moniker": "admin",
        "permissions": ["*"],
    }


async def test_list_roles_gated(app: LiveApp) -> None:
    await create(app)
    reader = await person(app, "role.read", "role.list", "obj.role.title", "obj.role.moniker")
    rows = (await app.client.get("/v1/role", headers=reader.headers)).json()["data"]
    assert rows and all(set(r) == {"title", "moniker"} for r in rows)
    assert {"title": "Administrator", "moniker": "admin"} in rows


async def test_get_role_by_id_and_moniker(app: LiveApp) -> None:
    made = await create(app, "user.read", "company.fetch", title="Fetch Me")
    reader = await person(app, "role.read", "obj.role.*")
    for identifier in (made["id"], made["moniker"]):
        response = await app.client.get(f"/v1/role/{identifier}", headers=reader.headers)
        assert response.status_code == 200
        assert response.json() == {
            "status": 200,
            "message": "Role Fetched Successfully!",
            "data": made,
            "successful": True,
        }


async def test_get_role_gated(app: LiveApp) -> None:
    made = await create(app, "user.read")
    reader = await person(app, "role.read", "obj.role.id", "obj.role.permissions")
    response = await app.client.get(f"/v1/role/{made['moniker']}", headers=reader.headers)
    assert response.json()["data"] == {"id": made["id"], "permissions": ["user.read"]}
    nothing = await person(app, "role.read")
    assert (await app.client.get(f"/v1/role/{made['id']}", headers=nothing.headers)).json()["data"] == {}


async def test_get_role_not_found(app: LiveApp) -> None:
    reader = await person(app, "role.read", "obj.role.*")
    not_found(await app.client.get("/v1/role/no_such_role", headers=reader.headers), "no_such_role")


# --- PATCH /role/{identifier} ------------------------------------------------------------------------


async def test_update_role(app: LiveApp) -> None:
    made = await create(app, "user.read", title="Before")
    modifier = await person(app, "role.modify", "*")
    new_name = moniker()
    response = await app.client.patch(
        f"/v1/role/{made['moniker']}",
        json={"title": "Super Administrator", "moniker": new_name, "permissions": ["*", "*"]},
        headers=modifier.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Role Updated Successfully!" and body["status"] == 200 and body["successful"] is True
    data = body["data"]
    assert set(data) == ROLE_KEYS
    assert strip_times(data) == {
        "id": made["id"],
        "title": "Super Administrator",
        "moniker": new_name,
        "permissions": ["*"],
    }
    assert data["createdAt"] == made["createdAt"] and data["updatedAt"] >= made["updatedAt"]
    row = await db_role(app, made["id"])
    assert row is not None and (row.title, row.moniker, row.permissions) == ("Super Administrator", new_name, ["*"])


async def test_update_role_partial(app: LiveApp) -> None:
    made = await create(app, "user.read", "company.fetch", title="Keep Perms")
    modifier = await person(app, "role.modify", "*")
    response = await app.client.patch(f"/v1/role/{made['id']}", json={"title": "Renamed"}, headers=modifier.headers)
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["title"], data["moniker"], data["permissions"]) == (
        "Renamed",
        made["moniker"],
        ["user.read", "company.fetch"],
    )
    response = await app.client.patch(
        f"/v1/role/{made['id']}", json={"moniker": made["moniker"]}, headers=modifier.headers
    )
    assert response.status_code == 200 and response.json()["data"]["moniker"] == made["moniker"]


async def test_update_role_moniker_conflict(app: LiveApp) -> None:
    first, second = await create(app), await create(app)
    modifier = await person(app, "role.modify", "*")
    response = await app.client.patch(
        f"/v1/role/{first['id']}", json={"moniker": second["moniker"]}, headers=modifier.headers
    )
    assert response.status_code == 409
    assert response.json() == {
        "status": 409,
        "message": f"Role with moniker '{second['moniker']}' already exists.",
        "error": "RoleExists",
        "successful": False,
    }
    row = await db_role(app, first["id"])
    assert row is not None and row.moniker == first["moniker"]


async def test_update_role_validation(app: LiveApp) -> None:
    made = await create(app, "user.read")
    modifier = await person(app, "role.modify", "*")
    url = f"/v1/role/{made['id']}"
    [error] = validation_errors(await app.client.patch(url, json={"moniker": "Not Valid"}, headers=modifier.headers))
    assert error["path"] == ["moniker"]
    errors = validation_errors(
        await app.client.patch(url, json={"permissions": ["user.read", "made.up"]}, headers=modifier.headers)
    )
    assert errors == [{"path": ["permissions", 1], "message": "Unknown permission node 'made.up'"}]
    [error] = validation_errors(await app.client.patch(url, json={"title": 1}, headers=modifier.headers))
    assert error == {"path": ["title"], "message": "Expected `str`, got `int`"}
    [error] = validation_errors(await app.client.patch(url, json={"id": "other"}, headers=modifier.headers))
    assert error == {"path": ["id"], "message": "Object contains unknown field `id`"}
    row = await db_role(app, made["id"])
    assert row is not None and row.permissions == ["user.read"] and row.moniker == made["moniker"]


async def test_update_role_not_found(app: LiveApp) -> None:
    modifier = await person(app, "role.modify", "*")
    not_found(await app.client.patch("/v1/role/ghost", json={"title": "x"}, headers=modifier.headers), "ghost")


async def test_admin_moniker_is_protected(app: LiveApp) -> None:
    modifier = await person(app, "role.modify", "*")
    response = await app.client.patch("/v1/role/admin", json={"moniker": "not_admin"}, headers=modifier.headers)
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "The 'admin' role's moniker cannot be changed.",
        "error": "ProtectedRole",
        "successful": False,
    }
    reader = await person(app, "role.read", "obj.role.moniker")
    assert (await app.client.get("/v1/role/admin", headers=reader.headers)).json()["data"] == {"moniker": "admin"}


async def test_role_update_applies_on_next_request(app: LiveApp) -> None:
    made = await create(app, "user.read")
    member = await person(app, roles=[made["moniker"]])
    modifier = await person(app, "role.modify", "*")
    assert (await app.client.get("/v1/permissions", headers=member.headers)).status_code == 403
    await app.client.patch(f"/v1/role/{made['id']}", json={"permissions": ["role.read"]}, headers=modifier.headers)
    assert (await app.client.get("/v1/permissions", headers=member.headers)).status_code == 200
    await app.client.patch(f"/v1/role/{made['id']}", json={"permissions": []}, headers=modifier.headers)
    assert (await app.client.get("/v1/permissions", headers=member.headers)).status_code == 403


# --- DELETE /role/{identifier} -----------------------------------------------------------------------


async def test_delete_role_removes_it_from_its_users(app: LiveApp) -> None:
    made = await create(app, "role.read", "role.list", title="Doomed Role")
    keeper = await create(app, "user.read")
    member = await person(app, roles=[made["moniker"], keeper["moniker"]])
    assert (await app.client.get("/v1/role", headers=member.headers)).status_code == 200
    deleter = await person(app, "role.delete")

    response = await app.client.delete(f"/v1/role/{made['moniker']}", headers=deleter.headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Role Deleted Successfully!",
        "data": {k: v for k, v in made.items() if k != "permissions"},
        "successful": True,
    }
    assert await db_role(app, made["id"]) is None
    async with app.host.db.session() as session:
        links = await session.scalar(
            select(func.count()).select_from(user_roles).where(user_roles.c.role_id == made["id"])
        )
        user = await session.get(User, member.id)
        assert user is not None and [r.moniker for r in user.roles] == [keeper["moniker"]]
    assert links == 0

    reader = await person(app, "user.read.other", "role.read", "obj.role.moniker")
    roles = (await app.client.get(f"/v1/user/users/{member.id}/roles", headers=reader.headers)).json()["data"]
    assert roles == [{"moniker": keeper["moniker"]}]
    assert (await app.client.get("/v1/role", headers=member.headers)).status_code == 403
    not_found(await app.client.get(f"/v1/role/{made['id']}", headers=reader.headers), made["id"])


async def test_delete_role_not_found(app: LiveApp) -> None:
    deleter = await person(app, "role.delete")
    not_found(await app.client.delete("/v1/role/ghost_role", headers=deleter.headers), "ghost_role")


async def test_admin_role_cannot_be_deleted(app: LiveApp) -> None:
    deleter = await person(app, "role.delete")
    admin = await person(app, roles=["admin"])
    async with app.host.db.session() as session:
        admin_id = (await session.execute(select(Role.id).where(Role.moniker == "admin"))).scalar_one()
    for identifier in ("admin", admin_id):
        response = await app.client.delete(f"/v1/role/{identifier}", headers=deleter.headers)
        assert response.status_code == 400
        assert response.json() == {
            "status": 400,
            "message": "The 'admin' role cannot be deleted.",
            "error": "ProtectedRole",
            "successful": False,
        }
    assert await db_role(app, admin_id) is not None
    assert (await app.client.get("/v1/role", headers=admin.headers)).status_code == 200


# --- POST / DELETE /role/{identifier}/permissions ----------------------------------------------------


async def test_add_permissions_merges_without_duplicates(app: LiveApp) -> None:
    made = await create(app, "user.read", "user.write", "company.fetch")
    modifier = await person(app, "role.modify", "*")
    response = await app.client.post(
        f"/v1/role/{made['moniker']}/permissions",
        json={"permissions": ["user.write", "role.read", "role.read", "company.*"]},
        headers=modifier.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Permissions Added Successfully!" and body["status"] == 200 and body["successful"] is True
    assert set(body["data"]) == ROLE_KEYS
    assert strip_times(body["data"]) == {
        "id": made["id"],
        "title": made["title"],
        "moniker": made["moniker"],
        "permissions": ["user.read", "user.write", "company.fetch", "role.read", "company.*"],
    }
    row = await db_role(app, made["id"])
    assert row is not None and row.permissions == body["data"]["permissions"]


async def test_add_permissions_rejects_unknown_nodes(app: LiveApp) -> None:
    made = await create(app, "user.read")
    modifier = await person(app, "role.modify", "*")
    response = await app.client.post(
        f"/v1/role/{made['id']}/permissions", json={"permissions": ["role.read", "no.such"]}, headers=modifier.headers
    )
    assert validation_errors(response) == [{"path": ["permissions", 1], "message": "Unknown permission node 'no.such'"}]
    row = await db_role(app, made["id"])
    assert row is not None and row.permissions == ["user.read"]
    [error] = validation_errors(
        await app.client.post(f"/v1/role/{made['id']}/permissions", json={}, headers=modifier.headers)
    )
    assert error == {"path": ["permissions"], "message": "Object missing required field `permissions`"}


async def test_remove_permissions(app: LiveApp) -> None:
    made = await create(app, "user.read", "user.write", "company.fetch", "role.read")
    modifier = await person(app, "role.modify", "*")
    response = await app.client.request(
        "DELETE",
        f"/v1/role/{made['id']}/permissions",
        json={"permissions": ["user.write", "role.read", "never.held"]},
        headers=modifier.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Permissions Removed Successfully!" and body["successful"] is True
    assert strip_times(body["data"]) == {
        "id": made["id"],
        "title": made["title"],
        "moniker": made["moniker"],
        "permissions": ["user.read", "company.fetch"],
    }
    row = await db_role(app, made["id"])
    assert row is not None and row.permissions == ["user.read", "company.fetch"]


async def test_permission_changes_not_found(app: LiveApp) -> None:
    modifier = await person(app, "role.modify", "*")
    body = {"permissions": ["user.read"]}
    not_found(await app.client.post("/v1/role/ghost/permissions", json=body, headers=modifier.headers), "ghost")
    response = await app.client.request("DELETE", "/v1/role/ghost/permissions", json=body, headers=modifier.headers)
    not_found(response, "ghost")


async def test_added_and_removed_permissions_apply_on_next_request(app: LiveApp) -> None:
    made = await create(app)
    member = await person(app, roles=[made["moniker"]])
    modifier = await person(app, "role.modify", "*")
    url = f"/v1/role/{made['id']}/permissions"
    assert (await app.client.get("/v1/permissions/nodes", headers=member.headers)).status_code == 403
    await app.client.post(url, json={"permissions": ["role.read"]}, headers=modifier.headers)
    assert (await app.client.get("/v1/permissions/nodes", headers=member.headers)).status_code == 200
    await app.client.request("DELETE", url, json={"permissions": ["role.read"]}, headers=modifier.headers)
    assert (await app.client.get("/v1/permissions/nodes", headers=member.headers)).status_code == 403


# --- GET /role/{identifier}/users --------------------------------------------------------------------


async def test_role_users(app: LiveApp) -> None:
    made, other = await create(app), await create(app)
    first = await person(app, roles=[made["moniker"]], name="Aaron Member")
    second = await person(app, roles=[made["moniker"], other["moniker"]], name="Beth Member")
    await person(app, roles=[other["moniker"]], name="Not A Member")
    reader = await person(app, "role.read", "user.read", "obj.user.*")
    response = await app.client.get(f"/v1/role/{made['moniker']}/users", headers=reader.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Users Fetched Successfully!" and body["status"] == 200 and body["successful"] is True
    rows = body["data"]
    assert [r["id"] for r in rows] == [first.id, second.id]
    by_moniker = {made["moniker"]: made["id"], other["moniker"]: other["id"]}
    assert rows[0]["roles"] == [made["id"]]
    assert rows[1]["roles"] == [by_moniker[m] for m in sorted(by_moniker)]
    assert {k: v for k, v in rows[1].items() if k not in ("createdAt", "updatedAt", "roles")} == {
        "id": second.id,
        "name": "Beth Member",
        "email": second.email,
        "login": second.email.split("@")[0],
        "image": None,
        "permissions": [],
    }

    gated = await person(app, "role.read", "user.read", "obj.user.id", "obj.user.name")
    rows = (await app.client.get(f"/v1/role/{made['id']}/users", headers=gated.headers)).json()["data"]
    assert rows == [{"id": first.id, "name": "Aaron Member"}, {"id": second.id, "name": "Beth Member"}]


async def test_role_users_empty_and_not_found(app: LiveApp) -> None:
    made = await create(app)
    reader = await person(app, "role.read", "user.read", "obj.user.*")
    response = await app.client.get(f"/v1/role/{made['id']}/users", headers=reader.headers)
    assert response.status_code == 200 and response.json()["data"] == []
    not_found(await app.client.get("/v1/role/ghost/users", headers=reader.headers), "ghost")


async def test_id_wins_over_a_moniker_that_looks_like_another_roles_id(app: LiveApp) -> None:
    """A moniker may look like an id; an identifier naming one role's id and another's moniker means the id."""
    async with app.host.db.session() as session:
        admin_id = (await session.execute(select(Role.id).where(Role.moniker == "admin"))).scalar_one()
    shadow = await create(app, "user.read", name=admin_id, title="Shadow")
    reader = await person(app, "role.read", "obj.role.*")
    response = await app.client.get(f"/v1/role/{admin_id}", headers=reader.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["moniker"] == "admin"
    response = await app.client.get(f"/v1/role/{shadow['id']}", headers=reader.headers)
    assert response.json()["data"]["moniker"] == admin_id

    target = await person(app)
    editor = await person(app, "user.write.other", "user.roles.other", "*")
    response = await app.client.patch(f"/v1/user/users/{target.id}", json={"roles": [admin_id]}, headers=editor.headers)
    assert response.status_code == 200, response.text
    assert response.json()["data"]["roles"] == ["admin"]


async def test_admin_role_permissions_cannot_be_changed(app: LiveApp) -> None:
    root = await person(app, "role.modify", "*")
    for method, body in (("PATCH", {"permissions": []}), ("DELETE", {"permissions": ["*"]})):
        url = "/v1/role/admin" if method == "PATCH" else "/v1/role/admin/permissions"
        response = await app.client.request(method, url, json=body, headers=root.headers)
        assert response.status_code == 400 and response.json()["error"] == "ProtectedRole", response.text
    assert (await db_role_by_moniker(app, "admin")).permissions == ["*"]


async def test_roles_grant_only_what_the_editor_holds(app: LiveApp) -> None:
    creator = await person(app, "role.create", "company.fetch")
    refused = await app.client.post(
        "/v1/role", json={"title": "T", "moniker": moniker(), "permissions": ["company.*"]}, headers=creator.headers
    )
    assert refused.status_code == 403 and refused.json()["missing"] == ["company.*"]
    created = await app.client.post(
        "/v1/role",
        json={"title": "T", "moniker": moniker(), "permissions": ["company.fetch", "-user.read"]},
        headers=creator.headers,
    )
    assert created.status_code == 201
    modifier = await person(app, "role.modify", "company.*", "-company.fetch.address")
    role = created.json()["data"]["moniker"]
    wide = await app.client.post(
        f"/v1/role/{role}/permissions", json={"permissions": ["company.*"]}, headers=modifier.headers
    )
    assert wide.status_code == 403 and wide.json()["missing"] == ["company.*"]
    narrow = await app.client.post(
        f"/v1/role/{role}/permissions", json={"permissions": ["company.fetch.many"]}, headers=modifier.headers
    )
    assert narrow.status_code == 200


async def test_concurrent_permission_additions_are_all_kept(app: LiveApp) -> None:
    import asyncio

    role = await create(app)
    modifier = await person(app, "role.modify", "*")
    nodes = ["user.read", "user.write", "company.fetch", "company.fetch.many", "role.read"]
    responses = await asyncio.gather(
        *(
            app.client.post(f"/v1/role/{role['id']}/permissions", json={"permissions": [n]}, headers=modifier.headers)
            for n in nodes
        )
    )
    assert [r.status_code for r in responses] == [200] * 5
    assert sorted((await db_role(app, role["id"])).permissions) == sorted(nodes)


async def test_concurrent_creates_with_one_moniker_never_500(app: LiveApp) -> None:
    import asyncio

    creator = await person(app, "role.create", "*")
    name = moniker()
    responses = await asyncio.gather(
        *(app.client.post("/v1/role", json={"title": "T", "moniker": name}, headers=creator.headers) for _ in range(6))
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {201, 409}, codes


async def db_role_by_moniker(app: LiveApp, name: str) -> Role:
    async with app.host.db.session() as session:
        return (await session.execute(select(Role).where(Role.moniker == name))).scalar_one()
