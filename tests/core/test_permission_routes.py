"""Permission catalogue routes over real HTTP: ``/permissions`` (spec: Permission Routes)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from optima_platform.core.permissions import COMPANY_FIELDS, ROLE_FIELDS, USER_FIELDS
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app

# The core rows of the spec's routes.tsv for these groups: method, path, required nodes, conditional nodes.
CORE_ROUTES: list[tuple[str, str, tuple[str, ...], tuple[str, ...]]] = [
    ("GET", "/v1/user/@me", ("user.read",), ()),
    ("PATCH", "/v1/user/@me", ("user.write",), ()),
    ("POST", "/v1/user/@me/check-permission", ("user.read",), ()),
    ("GET", "/v1/user/users", ("user.read.other", "user.list.other"), ()),
    ("GET", "/v1/user/users/{identifier}", ("user.read.other",), ()),
    ("PATCH", "/v1/user/users/{identifier}", ("user.write.other",), ("user.roles.other", "user.permissions.other")),
    ("DELETE", "/v1/user/users/{identifier}", ("user.delete.other",), ()),
    ("GET", "/v1/user/users/{identifier}/roles", ("user.read.other", "role.read"), ()),
    ("POST", "/v1/user/users/{identifier}/check-permission", ("user.read.other",), ()),
    ("POST", "/v1/role", ("role.create",), ()),
    ("GET", "/v1/role", ("role.read", "role.list"), ()),
    ("GET", "/v1/role/{identifier}", ("role.read",), ()),
    ("PATCH", "/v1/role/{identifier}", ("role.modify",), ()),
    ("DELETE", "/v1/role/{identifier}", ("role.delete",), ()),
    ("POST", "/v1/role/{identifier}/permissions", ("role.modify",), ()),
    ("DELETE", "/v1/role/{identifier}/permissions", ("role.modify",), ()),
    ("GET", "/v1/role/{identifier}/users", ("role.read", "user.read"), ()),
    ("GET", "/v1/permissions", ("role.read",), ()),
    ("GET", "/v1/permissions/nodes", ("role.read",), ()),
    ("GET", "/v1/permissions/{category}", ("role.read",), ()),
    ("GET", "/v1/company/companies", ("company.fetch.many",), ()),
    (
        "GET",
        "/v1/company/companies/{identifier}",
        ("company.fetch",),
        ("company.fetch.address", "company.fetch.contacts"),
    ),
]


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    yield live
    await live.stop()


async def get_data(app: LiveApp, path: str, message: str) -> Any:
    response = await app.client.get(path, headers=await app.headers("role.read"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "message", "data", "successful"}
    assert body["status"] == 200 and body["message"] == message and body["successful"] is True
    return body["data"]


async def categories(app: LiveApp) -> dict[str, Any]:
    return await get_data(app, "/v1/permissions", "Permission Nodes Fetched Successfully!")


async def flat(app: LiveApp) -> list[dict[str, Any]]:
    return await get_data(app, "/v1/permissions/nodes", "All Permission Nodes Fetched Successfully!")


async def test_categorized_catalogue(app: LiveApp) -> None:
    data = await categories(app)
    assert set(data) == {"global", "user", "role", "company", "platform", "object"}
    assert data["global"] == {
        "name": "Global Permissions",
        "description": "Global wildcard permissions that grant access to all resources",
        "permissions": [
            {"node": "*", "description": "Full access to all resources and actions (administrator role)", "usedIn": []}
        ],
    }
    for key, category in data.items():
        assert set(category) == {"name", "description", "permissions"}, key
        assert category["name"] and category["description"]
        for node in category["permissions"]:
            assert {"node", "description", "usedIn"} <= set(node) <= {"node", "description", "usedIn", "dependencies"}
    company = data["company"]
    assert (company["name"], company["description"]) == (
        "Company Permissions",
        "Permissions for accessing and managing company resources",
    )
    nodes = {n["node"]: n for n in company["permissions"]}
    assert list(nodes) == ["company.fetch", "company.fetch.many", "company.fetch.address", "company.fetch.contacts"]
    assert nodes["company.fetch"] == {
        "node": "company.fetch",
        "description": "Fetch a single company",
        "usedIn": ["GET /v1/company/companies/{identifier}"],
    }
    assert nodes["company.fetch.address"] == {
        "node": "company.fetch.address",
        "description": "View company address information",
        "usedIn": ["GET /v1/company/companies/{identifier}"],
        "dependencies": ["company.fetch"],
    }
    assert nodes["company.fetch.many"]["usedIn"] == ["GET /v1/company/companies"]
    user_nodes = [n["node"] for n in data["user"]["permissions"]]
    assert user_nodes == [
        "user.read",
        "user.write",
        "user.read.other",
        "user.list.other",
        "user.write.other",
        "user.roles.other",
        "user.permissions.other",
        "user.delete.other",
    ]


async def test_flat_nodes_equal_the_categories_flattened(app: LiveApp) -> None:
    by_category = await categories(app)
    nodes = await flat(app)
    assert nodes == [node for category in by_category.values() for node in category["permissions"]]
    names = [n["node"] for n in nodes]
    assert len(names) == len(set(names))
    assert nodes[0] == {
        "node": "*",
        "description": "Full access to all resources and actions (administrator role)",
        "usedIn": [],
    }


async def test_used_in_lists_every_route_declaring_the_node(app: LiveApp) -> None:
    nodes = {n["node"]: n for n in await flat(app)}
    expected: dict[str, set[str]] = {}
    for method, path, required, conditional in CORE_ROUTES:
        for node in (*required, *conditional):
            expected.setdefault(node, set()).add(f"{method} {path}")
    for node, routes in expected.items():
        assert routes <= set(nodes[node]["usedIn"]), node
    assert set(nodes["role.read"]["usedIn"]) == {
        "GET /v1/role",
        "GET /v1/role/{identifier}",
        "GET /v1/role/{identifier}/users",
        "GET /v1/user/users/{identifier}/roles",
        "GET /v1/permissions",
        "GET /v1/permissions/nodes",
        "GET /v1/permissions/{category}",
    }
    assert nodes["user.roles.other"]["usedIn"] == ["PATCH /v1/user/users/{identifier}"]
    assert nodes["user.permissions.other"]["usedIn"] == ["PATCH /v1/user/users/{identifier}"]
    assert nodes["company.fetch.contacts"]["usedIn"] == ["GET /v1/company/companies/{identifier}"]
    assert nodes["user.list.other"]["dependencies"] == ["user.read.other"]


async def test_field_gate_nodes_are_generated(app: LiveApp) -> None:
    data = await categories(app)
    gate_nodes = {n["node"]: n for n in data["object"]["permissions"]}
    gated_routes = {
        "obj.user": [
            "GET /v1/role/{identifier}/users",
            "GET /v1/user/@me",
            "GET /v1/user/users",
            "GET /v1/user/users/{identifier}",
        ],
        "obj.role": ["GET /v1/role", "GET /v1/role/{identifier}", "GET /v1/user/users/{identifier}/roles"],
        "obj.company": ["GET /v1/company/companies", "GET /v1/company/companies/{identifier}"],
    }
    for scope, type_name, fields in (
        ("obj.user", "User", USER_FIELDS),
        ("obj.role", "Role", ROLE_FIELDS),
        ("obj.company", "Company", COMPANY_FIELDS),
    ):
        assert gate_nodes[f"{scope}.*"] == {
            "node": f"{scope}.*",
            "description": f"Read every field of a {type_name}",
            "usedIn": gated_routes[scope],
        }
        for name in fields:
            assert gate_nodes[f"{scope}.{name}"]["description"] == f"Read the {name} field of a {type_name}"
            assert gate_nodes[f"{scope}.{name}"]["usedIn"] == gated_routes[scope]
    assert {"obj.user.email", "obj.user.roles", "obj.role.moniker", "obj.company.cw_Data"} <= set(gate_nodes)
    assert len(gate_nodes) == 3 + len(USER_FIELDS) + len(ROLE_FIELDS) + len(COMPANY_FIELDS)


async def test_category_by_key(app: LiveApp) -> None:
    by_category = await categories(app)
    for key in ("global", "company", "user", "object"):
        data = await get_data(app, f"/v1/permissions/{key}", "Permission Category Fetched Successfully!")
        assert data == by_category[key]


@pytest.mark.parametrize("key", ["invalidCategory", "Company", "credential", "nodes.x"])
async def test_unknown_category_is_404(app: LiveApp, key: str) -> None:
    response = await app.client.get(f"/v1/permissions/{key}", headers=await app.headers("role.read"))
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": f'Permission category "{key}" not found',
        "error": "NotFound",
        "successful": False,
    }


async def test_field_gate_node_grants_a_field(app: LiveApp) -> None:
    """A generated ``obj.user.<field>`` node is accepted in a role and gates that field."""
    creator = await app.headers("role.create", "*")
    body = {"title": "Email reader", "moniker": "email_reader", "permissions": ["user.read", "obj.user.email"]}
    response = await app.client.post("/v1/role", json=body, headers=creator)
    assert response.status_code == 201, response.text
    response = await app.client.get("/v1/user/@me", headers=await app.headers(roles=["email_reader"]))
    assert response.status_code == 200
    assert list(response.json()["data"]) == ["email"]
