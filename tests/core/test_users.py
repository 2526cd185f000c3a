"""User routes over real HTTP: ``/user/@me`` and ``/user/users`` (spec: User Routes, Other User Routes)."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator, Iterable
from typing import Any

import pytest
from sqlalchemy import func, select

from optima_platform.core.models import AuthSession, Role, User, user_roles
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app
from optima_platform.testing.fixtures import SignedInUser as Person

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
USER_KEYS = {"id", "name", "email", "login", "image", "roles", "permissions", "createdAt", "updatedAt"}


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    yield live
    await live.stop()


async def person(app: LiveApp, *permissions: str, roles: Iterable[str] = (), name: str | None = None) -> Person:
    return await app.user(*permissions, roles=roles, name=name)


async def make_role(app: LiveApp, *permissions: str, title: str = "Test Role") -> Role:
    async with app.host.db.session() as session, session.begin():
        role = Role(title=title, moniker=f"r-{secrets.token_hex(4)}", permissions=list(permissions))
        session.add(role)
    return role


async def db_user(app: LiveApp, user_id: str) -> User | None:
    async with app.host.db.session() as session:
        return await session.get(User, user_id)


def validation_paths(response: Any) -> list[list[Any]]:
    """Assert the spec's validation shape and return the error paths."""
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400
    assert body["message"] == "Validation error"
    assert body["error"] == "ValidationError"
    assert body["successful"] is False
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"path", "message"}
        assert isinstance(error["path"], list) and isinstance(error["message"], str) and error["message"]
    return [e["path"] for e in body["errors"]]


def only_error(response: Any, path: list[Any], message: str) -> None:
    """Exactly one validation error, at ``path``, whose message starts with ``message``."""
    validation_paths(response)
    [error] = response.json()["errors"]
    assert error["message"].startswith(message), error
    assert error["path"] == path, error


def forbidden(response: Any, missing: list[str], message: str = "Insufficient permissions") -> None:
    assert response.status_code == 403, response.text
    assert response.json() == {
        "status": 403,
        "message": message,
        "error": "InsufficientPermission",
        "missing": missing,
        "successful": False,
    }


def expected_user(p: Person, *, roles: list[str] = (), permissions: list[str] = (), **over: Any) -> dict[str, Any]:
    body = {
        "id": p.id,
        "name": p.local,
        "email": p.email,
        "login": p.local,
        "image": None,
        "roles": list(roles),
        "permissions": list(permissions),
        **over,
    }
    return body


def without_times(data: dict[str, Any]) -> dict[str, Any]:
    assert ISO.match(data["createdAt"]) and ISO.match(data["updatedAt"]), data
    assert data["updatedAt"] >= data["createdAt"]
    return {k: v for k, v in data.items() if k not in ("createdAt", "updatedAt")}


# --- GET /user/@me ---------------------------------------------------------------------------------


async def test_me_full_shape(app: LiveApp) -> None:
    me = await person(app, "user.read", "obj.user.*")
    response = await app.client.get("/v1/user/@me", headers=me.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"status", "message", "data", "successful"}
    assert body["status"] == 200 and body["message"] == "Fetched user." and body["successful"] is True
    assert set(body["data"]) == USER_KEYS
    assert without_times(body["data"]) == expected_user(me, permissions=["user.read", "obj.user.*"])


async def test_me_roles_are_monikers(app: LiveApp) -> None:
    role = await make_role(app, "user.read", "obj.user.*")
    me = await person(app, roles=["admin", role.moniker])
    data = (await app.client.get("/v1/user/@me", headers=me.headers)).json()["data"]
    assert data["roles"] == sorted(["admin", role.moniker])
    assert data["permissions"] == []


async def test_me_field_gate_keeps_only_granted_keys(app: LiveApp) -> None:
    me = await person(app, "user.read", "obj.user.name", "obj.user.id", name="Gated Person")
    response = await app.client.get("/v1/user/@me", headers=me.headers)
    assert response.status_code == 200
    assert response.json()["data"] == {"id": me.id, "name": "Gated Person"}


async def test_me_without_any_field_node_is_empty_object(app: LiveApp) -> None:
    me = await person(app, "user.read")
    response = await app.client.get("/v1/user/@me", headers=me.headers)
    assert response.status_code == 200
    assert response.json()["data"] == {}


async def test_me_field_gate_wildcard_with_deny(app: LiveApp) -> None:
    me = await person(app, "user.read", "obj.user.*", "-obj.user.email", "-obj.user.permissions")
    data = (await app.client.get("/v1/user/@me", headers=me.headers)).json()["data"]
    assert set(data) == USER_KEYS - {"email", "permissions"}
    assert data["id"] == me.id


# --- PATCH /user/@me -------------------------------------------------------------------------------


async def test_patch_me_updates_profile(app: LiveApp) -> None:
    me = await person(app, "user.write")
    body = {"name": "Jane Doe", "image": "https://example.com/avatar.jpg"}
    response = await app.client.patch("/v1/user/@me", json=body, headers=me.headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Successfully updated user.",
        "data": {"id": me.id, "name": "Jane Doe", "email": me.email, "image": "https://example.com/avatar.jpg"},
        "successful": True,
    }
    row = await db_user(app, me.id)
    assert row is not None and row.name == "Jane Doe" and row.image == "https://example.com/avatar.jpg"


async def test_patch_me_partial_and_clearing_image(app: LiveApp) -> None:
    me = await person(app, "user.write", name="Keeps Name")
    await app.client.patch("/v1/user/@me", json={"image": "https://example.com/a.png"}, headers=me.headers)
    response = await app.client.patch("/v1/user/@me", json={"image": None}, headers=me.headers)
    assert response.status_code == 200
    assert response.json()["data"] == {"id": me.id, "name": "Keeps Name", "email": me.email, "image": None}
    response = await app.client.patch("/v1/user/@me", json={}, headers=me.headers)
    assert response.json()["data"]["name"] == "Keeps Name"


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": 5}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"image": ["x"]}, ["image"]),
        ({"name": "x" * 201}, ["name"]),
    ],
)
async def test_patch_me_validation(app: LiveApp, body: dict[str, Any], path: list[Any]) -> None:
    me = await person(app, "user.write", name="Unchanged")
    paths = validation_paths(await app.client.patch("/v1/user/@me", json=body, headers=me.headers))
    assert paths == [path]
    row = await db_user(app, me.id)
    assert row is not None and row.name == "Unchanged"


async def test_patch_me_cannot_grant_itself_roles_or_permissions(app: LiveApp) -> None:
    me = await person(app, "user.write")
    for body in ({"roles": ["admin"]}, {"permissions": ["*"]}, {"email": "evil@example.test"}):
        validation_paths(await app.client.patch("/v1/user/@me", json=body, headers=me.headers))
    row = await db_user(app, me.id)
    assert row is not None and row.roles == [] and row.permissions == ["user.write"] and row.email == me.email


async def test_patch_me_body_must_be_an_object(app: LiveApp) -> None:
    me = await person(app, "user.write")
    validation_paths(await app.client.patch("/v1/user/@me", json=["name"], headers=me.headers))


# --- POST /user/@me/check-permission ---------------------------------------------------------------


async def test_check_me_answers_per_node_with_granted_by(app: LiveApp) -> None:
    role = await make_role(app, "role.read", "-company.fetch.many")
    me = await person(app, "user.read", "company.*", "-company.fetch.contacts", roles=[role.moniker])
    nodes = [
        "user.read",
        "company.fetch",
        "company.fetch.contacts",
        "company.fetch.many",
        "role.read",
        "user.delete.other",
        "company",
    ]
    response = await app.client.post("/v1/user/@me/check-permission", json={"permissions": nodes}, headers=me.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Permission check completed." and body["status"] == 200 and body["successful"] is True
    assert body["data"] == {
        "results": [
            {"permission": "user.read", "hasPermission": True, "grantedBy": {"type": "direct", "node": "user.read"}},
            {
                "permission": "company.fetch",
                "hasPermission": True,
                "grantedBy": {"type": "direct", "node": "company.*"},
            },
            {
                "permission": "company.fetch.contacts",
                "hasPermission": False,
                "grantedBy": {"type": "direct", "node": "-company.fetch.contacts"},
            },
            {
                "permission": "company.fetch.many",
                "hasPermission": False,
                "grantedBy": {"type": "role", "role": role.moniker, "node": "-company.fetch.many"},
            },
            {
                "permission": "role.read",
                "hasPermission": True,
                "grantedBy": {"type": "role", "role": role.moniker, "node": "role.read"},
            },
            {"permission": "user.delete.other", "hasPermission": False, "grantedBy": None},
            {"permission": "company", "hasPermission": False, "grantedBy": None},
        ]
    }


async def test_check_me_admin_wildcard(app: LiveApp) -> None:
    me = await person(app, roles=["admin"])
    response = await app.client.post(
        "/v1/user/@me/check-permission", json={"permissions": ["company.fetch", "anything.at.all"]}, headers=me.headers
    )
    assert response.json()["data"]["results"] == [
        {
            "permission": "company.fetch",
            "hasPermission": True,
            "grantedBy": {"type": "role", "role": "admin", "node": "*"},
        },
        {
            "permission": "anything.at.all",
            "hasPermission": True,
            "grantedBy": {"type": "role", "role": "admin", "node": "*"},
        },
    ]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"permissions": "user.read"}, ["permissions"], "Expected `array`, got `str`"),
        ({"permissions": [1]}, ["permissions", 0], "Expected `str`, got `int`"),
        ({}, ["permissions"], "Object missing required field `permissions`"),
        ({"permissions": ["user.read"], "extra": True}, ["extra"], "Object contains unknown field `extra`"),
        ({"permissions": ["user.read", ""]}, ["permissions", 1], "Expected `str` of length >= 1"),
    ],
)
async def test_check_me_validation(app: LiveApp, body: Any, path: list[Any], message: str) -> None:
    me = await person(app, "user.read")
    response = await app.client.post("/v1/user/@me/check-permission", json=body, headers=me.headers)
    only_error(response, path, message)


async def test_check_me_body_must_be_an_object(app: LiveApp) -> None:
    me = await person(app, "user.read")
    response = await app.client.post("/v1/user/@me/check-permission", json=["user.read"], headers=me.headers)
    only_error(response, [], "Expected `object`, got `array`")


# --- GET /user/users -------------------------------------------------------------------------------


async def test_list_users_full_and_gated(app: LiveApp) -> None:
    target = await person(app, "company.fetch", name="Listed Target")
    reader = await person(app, "user.read.other", "user.list.other", "obj.user.*")
    response = await app.client.get("/v1/user/users", headers=reader.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Users Fetched Successfully!" and body["status"] == 200 and body["successful"] is True
    rows = {row["id"]: row for row in body["data"]}
    assert {target.id, reader.id} <= set(rows)
    assert all(set(row) == USER_KEYS for row in rows.values())
    assert without_times(rows[target.id]) == expected_user(target, name="Listed Target", permissions=["company.fetch"])

    gated = await person(app, "user.read.other", "user.list.other", "obj.user.id", "obj.user.email")
    rows = (await app.client.get("/v1/user/users", headers=gated.headers)).json()["data"]
    assert rows and all(set(row) == {"id", "email"} for row in rows)
    assert {"id": target.id, "email": target.email} in rows


# --- GET /user/users/{identifier} ------------------------------------------------------------------


async def test_get_user_by_id_and_by_email(app: LiveApp) -> None:
    target = await person(app, "company.fetch", roles=["admin"], name="Fetched Target")
    reader = await person(app, "user.read.other", "obj.user.*")
    expected = expected_user(target, name="Fetched Target", roles=["admin"], permissions=["company.fetch"])
    for identifier in (target.id, target.email, target.email.upper()):
        response = await app.client.get(f"/v1/user/users/{identifier}", headers=reader.headers)
        assert response.status_code == 200, identifier
        body = response.json()
        assert body["message"] == "User Fetched Successfully!" and body["successful"] is True
        assert without_times(body["data"]) == expected


async def test_get_user_gated(app: LiveApp) -> None:
    target = await person(app, name="Gate Target")
    reader = await person(app, "user.read.other", "obj.user.name", "obj.user.roles")
    response = await app.client.get(f"/v1/user/users/{target.id}", headers=reader.headers)
    assert response.json()["data"] == {"name": "Gate Target", "roles": []}


async def test_get_user_not_found(app: LiveApp) -> None:
    reader = await person(app, "user.read.other", "obj.user.*")
    response = await app.client.get("/v1/user/users/ckx-missing", headers=reader.headers)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "User with identifier 'ckx-missing' was not found.",
        "error": "UserNotFound",
        "successful": False,
    }


# --- PATCH /user/users/{identifier} ----------------------------------------------------------------


async def test_patch_user_profile(app: LiveApp) -> None:
    target = await person(app, "company.fetch")
    editor = await person(app, "user.write.other")
    body = {"name": "Jane Doe", "image": "https://example.com/avatar.jpg"}
    response = await app.client.patch(f"/v1/user/users/{target.id}", json=body, headers=editor.headers)
    assert response.status_code == 200
    payload = response.json()
    assert payload["status"] == 200 and payload["message"] == "User Updated Successfully!"
    assert payload["successful"] is True
    assert set(payload["data"]) == USER_KEYS
    assert without_times(payload["data"]) == expected_user(
        target, name="Jane Doe", image="https://example.com/avatar.jpg", permissions=["company.fetch"]
    )
    row = await db_user(app, target.id)
    assert row is not None and row.name == "Jane Doe"


async def test_patch_user_roles_needs_user_roles_other(app: LiveApp) -> None:
    target = await person(app)
    editor = await person(app, "user.write.other")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"roles": ["admin"], "name": "Not Applied"}, headers=editor.headers
    )
    forbidden(response, ["user.roles.other"], "You do not have permission to modify roles on another user.")
    row = await db_user(app, target.id)
    assert row is not None and row.roles == [] and row.name != "Not Applied"


async def test_patch_user_permissions_needs_user_permissions_other(app: LiveApp) -> None:
    target = await person(app)
    editor = await person(app, "user.write.other", "user.roles.other")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"permissions": ["company.fetch"]}, headers=editor.headers
    )
    forbidden(response, ["user.permissions.other"], "You do not have permission to modify permissions on another user.")
    row = await db_user(app, target.id)
    assert row is not None and row.permissions == []


async def test_patch_user_roles_by_id_or_moniker_replaces_all(app: LiveApp) -> None:
    first, second = await make_role(app, "role.read"), await make_role(app, "company.fetch")
    target = await person(app, roles=["admin"])
    editor = await person(app, "user.write.other", "user.roles.other", "*")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"roles": [first.id, second.moniker, first.moniker]}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["roles"] == sorted([first.moniker, second.moniker])
    row = await db_user(app, target.id)
    assert row is not None and sorted(r.id for r in row.roles) == sorted([first.id, second.id])

    response = await app.client.patch(f"/v1/user/users/{target.id}", json={"roles": []}, headers=editor.headers)
    assert response.status_code == 200 and response.json()["data"]["roles"] == []
    async with app.host.db.session() as session:
        count = await session.scalar(
            select(func.count()).select_from(user_roles).where(user_roles.c.user_id == target.id)
        )
    assert count == 0


async def test_patch_user_unknown_role_is_404(app: LiveApp) -> None:
    target = await person(app)
    editor = await person(app, "user.write.other", "user.roles.other")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"roles": ["admin", "ghost-role"]}, headers=editor.headers
    )
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Role with identifier 'ghost-role' was not found.",
        "error": "RoleNotFound",
        "successful": False,
    }
    row = await db_user(app, target.id)
    assert row is not None and row.roles == []


async def test_patch_user_permissions_replaces_and_dedupes(app: LiveApp) -> None:
    target = await person(app, "user.read")
    editor = await person(app, "user.write.other", "user.permissions.other", "*")
    nodes = ["company.fetch", "role.read", "company.fetch", "-company.fetch.contacts"]
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"permissions": nodes}, headers=editor.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"]["permissions"] == ["company.fetch", "role.read", "-company.fetch.contacts"]
    row = await db_user(app, target.id)
    assert row is not None and row.permissions == ["company.fetch", "role.read", "-company.fetch.contacts"]


async def test_patch_user_unknown_or_malformed_nodes_are_validation_errors(app: LiveApp) -> None:
    target = await person(app, "user.read")
    editor = await person(app, "user.write.other", "user.permissions.other")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}",
        json={"permissions": ["company.fetch", "nope.nothing", "bad..node", "zzz.*"]},
        headers=editor.headers,
    )
    assert validation_paths(response) == [["permissions", 1], ["permissions", 2], ["permissions", 3]]
    assert response.json()["errors"] == [
        {"path": ["permissions", 1], "message": "Unknown permission node 'nope.nothing'"},
        {"path": ["permissions", 2], "message": "'bad..node' is not a permission node"},
        {"path": ["permissions", 3], "message": "Unknown permission node 'zzz.*'"},
    ]
    row = await db_user(app, target.id)
    assert row is not None and row.permissions == ["user.read"]


@pytest.mark.parametrize(
    ("body", "path", "message"),
    [
        ({"name": 1}, ["name"], "Expected `str`, got `int`"),
        ({"roles": "admin"}, ["roles"], "Expected `array`, got `str`"),
        ({"roles": ["admin", 7]}, ["roles", 1], "Expected `str`, got `int`"),
        ({"permissions": None}, ["permissions"], "Expected `array`, got `null`"),
        ({"email": "x@example.test"}, ["email"], "Object contains unknown field `email`"),
    ],
)
async def test_patch_user_validation(app: LiveApp, body: Any, path: list[Any], message: str) -> None:
    target = await person(app, name="Stays")
    editor = await person(app, "user.write.other", "user.roles.other", "user.permissions.other")
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"name": "Changed", **body}, headers=editor.headers
    )
    only_error(response, path, message)
    row = await db_user(app, target.id)
    assert row is not None and row.name == "Stays"


async def test_patch_user_not_found(app: LiveApp) -> None:
    editor = await person(app, "user.write.other")
    response = await app.client.patch("/v1/user/users/nobody", json={"name": "x"}, headers=editor.headers)
    assert response.status_code == 404
    assert response.json()["error"] == "UserNotFound"
    assert response.json()["message"] == "User with identifier 'nobody' was not found."


async def test_role_change_applies_on_next_request(app: LiveApp) -> None:
    viewer = await make_role(app, "role.read", "role.list")
    target = await person(app)
    editor = await person(app, "user.write.other", "user.roles.other", "*")
    forbidden(await app.client.get("/v1/role", headers=target.headers), ["role.read", "role.list"])

    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"roles": [viewer.moniker]}, headers=editor.headers
    )
    assert response.status_code == 200
    assert (await app.client.get("/v1/role", headers=target.headers)).status_code == 200

    response = await app.client.patch(f"/v1/user/users/{target.id}", json={"roles": []}, headers=editor.headers)
    assert response.status_code == 200
    forbidden(await app.client.get("/v1/role", headers=target.headers), ["role.read", "role.list"])


async def test_direct_permission_change_applies_on_next_request(app: LiveApp) -> None:
    target = await person(app)
    editor = await person(app, "user.write.other", "user.permissions.other", "*")
    forbidden(await app.client.get("/v1/permissions", headers=target.headers), ["role.read"])
    await app.client.patch(f"/v1/user/users/{target.id}", json={"permissions": ["role.read"]}, headers=editor.headers)
    assert (await app.client.get("/v1/permissions", headers=target.headers)).status_code == 200
    await app.client.patch(f"/v1/user/users/{target.id}", json={"permissions": []}, headers=editor.headers)
    forbidden(await app.client.get("/v1/permissions", headers=target.headers), ["role.read"])


# --- DELETE /user/users/{identifier} ---------------------------------------------------------------


async def test_delete_user_ends_sessions_and_removes_row(app: LiveApp) -> None:
    role = await make_role(app, "user.read")
    target = await person(app, "user.read", "obj.user.*", roles=[role.moniker], name="Doomed")
    second_token = await app.token(target.email)
    assert (await app.client.get("/v1/user/@me", headers=target.headers)).status_code == 200
    deleter = await person(app, "user.delete.other", "user.read.other")

    response = await app.client.delete(f"/v1/user/users/{target.id}", headers=deleter.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == 200 and body["message"] == "User Deleted Successfully!" and body["successful"] is True
    assert without_times(body["data"]) == expected_user(
        target, name="Doomed", roles=[role.moniker], permissions=["user.read", "obj.user.*"]
    )

    unauthorized = {"status": 401, "message": "Unauthorized", "error": "Unauthorized", "successful": False}
    for token in (target.token, second_token):
        response = await app.client.get("/v1/user/@me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401 and response.json() == unauthorized

    assert (await app.client.get(f"/v1/user/users/{target.id}", headers=deleter.headers)).status_code == 404
    assert await db_user(app, target.id) is None
    async with app.host.db.session() as session:
        sessions = await session.scalar(
            select(func.count()).select_from(AuthSession).where(AuthSession.user_id == target.id)
        )
        links = await session.scalar(
            select(func.count()).select_from(user_roles).where(user_roles.c.user_id == target.id)
        )
        assert await session.get(Role, role.id) is not None
    assert sessions == 0 and links == 0


async def test_delete_user_by_email_and_not_found(app: LiveApp) -> None:
    target = await person(app)
    deleter = await person(app, "user.delete.other", "obj.user.email")
    response = await app.client.delete(f"/v1/user/users/{target.email}", headers=deleter.headers)
    assert response.status_code == 200 and response.json()["data"]["id"] == target.id
    response = await app.client.delete(f"/v1/user/users/{target.id}", headers=deleter.headers)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": f"User with identifier '{target.id}' was not found.",
        "error": "UserNotFound",
        "successful": False,
    }


# --- GET /user/users/{identifier}/roles ------------------------------------------------------------


async def test_user_roles_full_and_gated(app: LiveApp) -> None:
    role = await make_role(app, "company.fetch", "role.read", title="Zeta Viewer")
    target = await person(app, roles=["admin", role.moniker])
    reader = await person(app, "user.read.other", "role.read", "obj.role.*")
    response = await app.client.get(f"/v1/user/users/{target.id}/roles", headers=reader.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User Roles Fetched Successfully!" and body["successful"] is True
    rows = body["data"]
    assert [r["moniker"] for r in rows] == sorted(["admin", role.moniker])
    by_moniker = {r["moniker"]: r for r in rows}
    assert set(by_moniker["admin"]) == {"id", "title", "moniker", "permissions", "createdAt", "updatedAt"}
    assert by_moniker["admin"]["title"] == "Administrator" and by_moniker["admin"]["permissions"] == ["*"]
    assert {k: v for k, v in by_moniker[role.moniker].items() if k not in ("createdAt", "updatedAt")} == {
        "id": role.id,
        "title": "Zeta Viewer",
        "moniker": role.moniker,
        "permissions": ["company.fetch", "role.read"],
    }

    gated = await person(app, "user.read.other", "role.read", "obj.role.moniker")
    rows = (await app.client.get(f"/v1/user/users/{target.id}/roles", headers=gated.headers)).json()["data"]
    assert rows == [{"moniker": m} for m in sorted(["admin", role.moniker])]


async def test_user_roles_empty_and_not_found(app: LiveApp) -> None:
    target = await person(app)
    reader = await person(app, "user.read.other", "role.read", "obj.role.*")
    response = await app.client.get(f"/v1/user/users/{target.id}/roles", headers=reader.headers)
    assert response.status_code == 200 and response.json()["data"] == []
    response = await app.client.get("/v1/user/users/missing-user/roles", headers=reader.headers)
    assert response.status_code == 404 and response.json()["error"] == "UserNotFound"


# --- POST /user/users/{identifier}/check-permission ------------------------------------------------


async def test_check_other_user(app: LiveApp) -> None:
    role = await make_role(app, "company.fetch", "company.fetch.*")
    target = await person(app, "user.read", "-company.fetch.address", roles=[role.moniker])
    checker = await person(app, "user.read.other")
    nodes = ["user.read", "company.fetch", "company.fetch.contacts", "company.fetch.address", "credential.write"]
    response = await app.client.post(
        f"/v1/user/users/{target.id}/check-permission", json={"permissions": nodes}, headers=checker.headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Permission check completed." and body["successful"] is True
    assert body["data"]["results"] == [
        {"permission": "user.read", "hasPermission": True, "grantedBy": {"type": "direct", "node": "user.read"}},
        {
            "permission": "company.fetch",
            "hasPermission": True,
            "grantedBy": {"type": "role", "role": role.moniker, "node": "company.fetch"},
        },
        {
            "permission": "company.fetch.contacts",
            "hasPermission": True,
            "grantedBy": {"type": "role", "role": role.moniker, "node": "company.fetch.*"},
        },
        {
            "permission": "company.fetch.address",
            "hasPermission": False,
            "grantedBy": {"type": "direct", "node": "-company.fetch.address"},
        },
        {"permission": "credential.write", "hasPermission": False, "grantedBy": None},
    ]


async def test_check_other_user_reflects_current_grants(app: LiveApp) -> None:
    target = await person(app)
    checker = await person(app, "user.read.other", "obj.user.email")
    editor = await person(app, "user.write.other", "user.permissions.other", "*")
    url = f"/v1/user/users/{target.email}/check-permission"
    first = await app.client.post(url, json={"permissions": ["role.read"]}, headers=checker.headers)
    assert first.json()["data"]["results"][0]["hasPermission"] is False
    await app.client.patch(f"/v1/user/users/{target.id}", json={"permissions": ["role.*"]}, headers=editor.headers)
    second = await app.client.post(url, json={"permissions": ["role.read"]}, headers=checker.headers)
    assert second.json()["data"]["results"] == [
        {"permission": "role.read", "hasPermission": True, "grantedBy": {"type": "direct", "node": "role.*"}}
    ]


async def test_check_other_user_not_found_and_validation(app: LiveApp) -> None:
    checker = await person(app, "user.read.other")
    response = await app.client.post(
        "/v1/user/users/ghost/check-permission", json={"permissions": ["user.read"]}, headers=checker.headers
    )
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "User with identifier 'ghost' was not found.",
        "error": "UserNotFound",
        "successful": False,
    }
    response = await app.client.post(
        f"/v1/user/users/{checker.id}/check-permission", json={"permissions": {"a": 1}}, headers=checker.headers
    )
    assert validation_paths(response) == [["permissions"]]


async def test_email_lookup_needs_the_email_field(app: LiveApp) -> None:
    """No email oracle: without obj.user.email a user is found by id only, and an email is a 404."""
    target = await person(app)
    blind = await person(app, "user.read.other", "obj.user.id")
    by_email = await app.client.get(f"/v1/user/users/{target.email}", headers=blind.headers)
    assert by_email.status_code == 404 and by_email.json()["error"] == "UserNotFound"
    by_id = await app.client.get(f"/v1/user/users/{target.id}", headers=blind.headers)
    assert by_id.status_code == 200 and by_id.json()["data"] == {"id": target.id}


async def test_no_self_escalation_through_direct_permissions_or_roles(app: LiveApp) -> None:
    """Holding user.permissions.other / user.roles.other lets you grant only what you hold."""
    editor = await person(app, "user.write.other", "user.permissions.other", "user.roles.other", "company.fetch")
    escalate = await app.client.patch(
        f"/v1/user/users/{editor.id}", json={"permissions": ["*"]}, headers=editor.headers
    )
    assert escalate.status_code == 403
    assert escalate.json()["missing"] == ["*"]
    assert escalate.json()["message"] == "You cannot grant permissions you do not hold yourself."
    admin_role = await app.client.patch(
        f"/v1/user/users/{editor.id}", json={"roles": ["admin"]}, headers=editor.headers
    )
    assert admin_role.status_code == 403 and admin_role.json()["missing"] == ["*"]
    target = await person(app)
    fine = await app.client.patch(
        f"/v1/user/users/{target.id}",
        json={"permissions": ["company.fetch", "-company.fetch.address"]},
        headers=editor.headers,
    )
    assert fine.status_code == 200, fine.text


async def test_all_missing_conditional_nodes_are_listed(app: LiveApp) -> None:
    editor = await person(app, "user.write.other")
    target = await person(app)
    response = await app.client.patch(
        f"/v1/user/users/{target.id}", json={"roles": [], "permissions": []}, headers=editor.headers
    )
    assert response.status_code == 403
    assert response.json()["missing"] == ["user.roles.other", "user.permissions.other"]
    assert response.json()["message"] == "You do not have permission to modify roles on another user."


async def test_check_permission_refuses_what_is_not_a_node(app: LiveApp) -> None:
    me = await person(app, "user.read", "*")
    response = await app.client.post(
        "/v1/user/@me/check-permission", json={"permissions": ["user.read", "-x", "a..b", "a.*"]}, headers=me.headers
    )
    assert response.status_code == 400
    assert [e["path"] for e in response.json()["errors"]] == [
        ["permissions", 1],
        ["permissions", 2],
        ["permissions", 3],
    ]
