"""The hello plugin over a real server: its routes, nodes, field gate, errors, socket event and CLI.

The plugin is not passed to the app: it is pip-installed and found through its entry point.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import socketio
from optima_hello.models import Greeting
from sqlalchemy import func, select

from optima_platform.core.models import Company
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app
from optima_platform.testing.matrix import check_auth_matrix

HELLO_NODES = ("hello.greet", "hello.greet.shout", "hello.greetings.fetch.many", "hello.tally.fetch")
GREETING_KEYS = {"id", "name", "message", "createdBy", "createdAt"}


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core", "hello"]))
    yield live
    await live.stop()


async def greet(app: LiveApp, name: str, **body: Any) -> dict[str, Any]:
    response = await app.client.post(
        "/v1/hello/greetings", json={"name": name, **body}, headers=await app.headers("hello.greet")
    )
    assert response.status_code == 201, response.text
    return response.json()["data"]


async def greeting_count(app: LiveApp) -> int:
    async with app.host.db.session() as session:
        return (await session.execute(select(func.count()).select_from(Greeting))).scalar_one()


# --- routes and their declarations ----------------------------------------------------------


async def test_routes_are_served_under_v1_with_their_declarations(app: LiveApp) -> None:
    served = {(r.method, r.path): r for r in app.host.routes if r.plugin == "hello"}
    assert set(served) == {("POST", "/v1/hello/greetings"), ("GET", "/v1/hello/greetings"), ("GET", "/v1/hello/tally")}
    post = served["POST", "/v1/hello/greetings"]
    assert post.permissions == ["hello.greet"] and post.auth == "token"
    assert post.conditional == {"body.shout=true": "hello.greet.shout"}
    assert served["GET", "/v1/hello/greetings"].gate == "obj.greeting"
    assert (await app.client.get("/hello/greetings")).status_code == 404

    schema = (await app.client.get("/v1/schema/openapi.json")).json()
    operation = schema["paths"]["/v1/hello/greetings"]["post"]
    assert operation["x-permissions"] == ["hello.greet"]
    assert operation["x-conditional-permissions"] == {"body.shout=true": "hello.greet.shout"}


async def test_nodes_are_in_the_catalogue_with_where_they_are_used(app: LiveApp) -> None:
    response = await app.client.get("/v1/permissions/hello", headers=await app.headers("role.read"))
    assert response.status_code == 200
    nodes = {n["node"]: n for n in response.json()["data"]["permissions"]}
    assert set(nodes) == set(HELLO_NODES)
    assert nodes["hello.greet"]["usedIn"] == ["POST /v1/hello/greetings"]
    assert nodes["hello.greet.shout"]["usedIn"] == ["POST /v1/hello/greetings"]
    assert nodes["hello.greet.shout"]["dependencies"] == ["hello.greet"]
    gate_nodes = {n for n in app.host.permissions.nodes if n.startswith("obj.greeting.")}
    assert gate_nodes == {"obj.greeting.*", *(f"obj.greeting.{key}" for key in GREETING_KEYS)}


async def test_create_and_list(app: LiveApp) -> None:
    token = await app.token(permissions=["hello.greet", "hello.greetings.fetch.many", "obj.greeting.*"])
    headers = {"Authorization": f"Bearer {token}"}
    response = await app.client.post("/v1/hello/greetings", json={"name": "  Ada "}, headers=headers)
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == 201 and body["successful"] is True and body["message"] == "Greeting Created Successfully!"
    created = body["data"]
    assert set(created) == GREETING_KEYS
    assert created["name"] == "Ada" and created["message"] == "Hello, Ada!"
    assert created["createdBy"] and created["createdAt"].endswith("Z")

    response = await app.client.get("/v1/hello/greetings", params={"rpp": 200}, headers=headers)
    assert response.status_code == 200
    listed = response.json()
    assert listed["data"][0] == created  # newest first
    assert listed["pagination"]["totalRecords"] == await greeting_count(app)
    assert listed["pagination"]["currentPage"] == 1


async def test_pagination_query_is_validated(app: LiveApp) -> None:
    headers = await app.headers("hello.greetings.fetch.many")
    response = await app.client.get("/v1/hello/greetings", params={"rpp": 0}, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "ValidationError" and body["successful"] is False
    assert body["errors"] == [{"path": ["rpp"], "message": "Expected `int` >= 1"}]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/hello/greetings", {"name": "x"}),
        ("GET", "/v1/hello/greetings", None),
        ("GET", "/v1/hello/tally", None),
    ],
)
async def test_401_without_a_token(app: LiveApp, method: str, path: str, body: Any) -> None:
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        response = await app.client.request(method, path, json=body, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "message": "Unauthorized",
            "error": "Unauthorized",
            "successful": False,
        }


async def test_auth_matrix(app: LiveApp) -> None:
    assert await check_auth_matrix(app, "hello") == 3 * 2 + 3


@pytest.mark.parametrize(
    ("method", "path", "body", "node"),
    [
        ("POST", "/v1/hello/greetings", {"name": "x"}, "hello.greet"),
        ("GET", "/v1/hello/greetings", None, "hello.greetings.fetch.many"),
        ("GET", "/v1/hello/tally", None, "hello.tally.fetch"),
    ],
)
async def test_403_without_each_required_node(app: LiveApp, method: str, path: str, body: Any, node: str) -> None:
    everything_else = [n for n in HELLO_NODES if n != node]
    for grants in (everything_else, ["hello.*", f"-{node}"]):
        response = await app.client.request(method, path, json=body, headers=await app.headers(*grants))
        assert response.status_code == 403, grants
        assert response.json() == {
            "status": 403,
            "message": "Insufficient permissions",
            "error": "InsufficientPermission",
            "missing": [node],
            "successful": False,
        }
    response = await app.client.request(method, path, json=body, headers=await app.headers(node))
    assert response.status_code in (200, 201)


async def test_shouting_needs_the_conditional_node(app: LiveApp) -> None:
    response = await app.client.post(
        "/v1/hello/greetings", json={"name": "Bob", "shout": True}, headers=await app.headers("hello.greet")
    )
    assert response.status_code == 403
    assert response.json()["missing"] == ["hello.greet.shout"]
    assert response.json()["message"] == "You may not shout."
    response = await app.client.post(
        "/v1/hello/greetings",
        json={"name": "Bob", "shout": True},
        headers=await app.headers("hello.greet", "hello.greet.shout"),
    )
    assert response.status_code == 201
    assert response.json()["data"]["message"] == "HELLO, BOB!"


async def test_field_gating(app: LiveApp) -> None:
    await greet(app, "Grace")

    async def listed(*grants: str) -> list[dict[str, Any]]:
        response = await app.client.get(
            "/v1/hello/greetings", headers=await app.headers("hello.greetings.fetch.many", *grants)
        )
        assert response.status_code == 200
        return response.json()["data"]

    only_name = await listed("obj.greeting.name")
    assert only_name and all(item.keys() == {"name"} for item in only_name)
    assert all(item == {} for item in await listed())
    all_but_author = await listed("obj.greeting.*", "-obj.greeting.createdBy")
    assert all(item.keys() == GREETING_KEYS - {"createdBy"} for item in all_but_author)


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"name": 5}, ["name"]),
        ({"name": ""}, ["name"]),
        ({"name": "x" * 101}, ["name"]),
        ({"name": "x", "shout": "loud"}, ["shout"]),
        ({"name": "x", "colour": "red"}, ["colour"]),
        ({}, ["name"]),
        ([], []),
    ],
)
async def test_validation_error_shape(app: LiveApp, body: Any, path: list[Any]) -> None:
    response = await app.client.post("/v1/hello/greetings", json=body, headers=await app.headers("hello.greet"))
    assert response.status_code == 400
    payload = response.json()
    assert set(payload) == {"status", "message", "error", "errors", "successful"}
    assert payload["status"] == 400 and payload["message"] == "Validation error"
    assert payload["error"] == "ValidationError" and payload["successful"] is False
    assert len(payload["errors"]) == 1 and set(payload["errors"][0]) == {"path", "message"}
    assert payload["errors"][0]["path"] == path
    assert payload["errors"][0]["message"]


async def test_api_error_shape(app: LiveApp) -> None:
    response = await app.client.post(
        "/v1/hello/greetings", json={"name": "   "}, headers=await app.headers("hello.greet")
    )
    assert response.status_code == 400
    assert response.json() == {
        "status": 400,
        "message": "A greeting needs a name that is not blank.",
        "error": "BlankName",
        "successful": False,
    }


async def test_malformed_json(app: LiveApp) -> None:
    headers = {**(await app.headers("hello.greet")), "content-type": "application/json"}
    response = await app.client.post("/v1/hello/greetings", content=b'{"name": ', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "MalformedJson"


# --- the job, through the host's scheduler --------------------------------------------------


async def test_tally_job_run_once_stores_the_count(app: LiveApp) -> None:
    headers = await app.headers("hello.tally.fetch")
    before = (await app.client.get("/v1/hello/tally", headers=headers)).json()["data"]
    assert before == {"count": None, "countedAt": None}  # jobs are off in tests until run
    await greet(app, "Linus")
    status = await app.host.scheduler.run_once("hello.tally")
    assert status.last_outcome == "success" and status.plugin == "hello" and status.runs == 1
    after = (await app.client.get("/v1/hello/tally", headers=headers)).json()["data"]
    assert after["count"] == await greeting_count(app) >= 1
    assert after["countedAt"].endswith("Z")


# --- socket events ------------------------------------------------------------------------------


async def test_socket_ping_and_greeted_event(app: LiveApp) -> None:
    client = socketio.AsyncClient()
    greeted: asyncio.Queue[Any] = asyncio.Queue()
    client.on("hello:greeted", greeted.put_nowait, namespace="/hello")
    await client.connect(app.url, namespaces=["/hello"], socketio_path="socket.io", wait_timeout=5)
    try:
        ack = await client.call("hello:ping", {"name": "Ada"}, namespace="/hello", timeout=5)
        assert ack == {"ok": True, "message": "Hello, Ada!"}
        assert await client.call("hello:ping", {}, namespace="/hello", timeout=5) == {
            "ok": False,
            "error": "Missing name",
        }
        created = await greet(app, "Margaret")
        assert await asyncio.wait_for(greeted.get(), timeout=5) == created
    finally:
        await client.disconnect()


# --- extension hooks ------------------------------------------------------------------------------


async def test_enrich_company_adds_a_greeting(app: LiveApp) -> None:
    async with app.host.db.session() as session, session.begin():
        company = Company(name="Acme", cw_data={})
        session.add(company)
        await session.flush()
        company_id = company.id
    response = await app.client.get(
        f"/v1/company/companies/{company_id}", headers=await app.headers("company.fetch", "obj.company.*")
    )
    assert response.status_code == 200
    assert response.json()["data"]["cw_Data"]["greeting"] == "Hello, Acme!"


async def test_opportunity_include_answers_only_its_section(app: LiveApp) -> None:
    hooks, host = app.host.hooks, app.host
    opportunity = {"id": 1, "name": "Big deal"}
    answer = await hooks.afirst("optima_opportunity_include", host=host, opportunity=opportunity, section="greeting")
    assert answer == "Hello, Big deal!"
    assert await hooks.afirst("optima_opportunity_include", host=host, opportunity=opportunity, section="notes") is None


# --- CLI commands ------------------------------------------------------------------------------


async def optima(app: LiveApp, cwd: Path, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")}
    env |= {
        "OPTIMA_DATABASE_URL": app.host.settings.database_url,
        "OPTIMA_PLUGINS": "core,hello",
        "OPTIMA_SECRET_KEY": "cli-test-secret",
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "optima_platform.cli",
        *args,
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode or 0, out.decode(), err.decode()


async def test_cli_commands(app: LiveApp, tmp_path: Path) -> None:
    await greet(app, "Ken")
    code, out, err = await optima(app, tmp_path, "hello", "count")
    assert code == 0, err
    assert json.loads(out) == {"count": await greeting_count(app)}

    (tmp_path / "optima.toml").write_text('[plugins.hello]\ngreeting = "Hi"\n')
    code, out, err = await optima(app, tmp_path, "hello", "say", "Ada", "--shout")
    assert code == 0, err
    assert out.strip() == "HI, ADA!"

    code, out, err = await optima(app, tmp_path, "routes", "--json")
    assert code == 0, err
    assert {"method": "GET", "path": "/v1/hello/tally"}.items() <= next(
        r for r in json.loads(out) if r["path"] == "/v1/hello/tally"
    ).items()
