"""The HTTP layer: envelope, every error shape, limits, health and readiness, over a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app
from tests.host.probe_plugin import ProbePlugin


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(
        make_settings(await databases.create(), plugins=["core", "probe"]), extra_plugins=[ProbePlugin()]
    )
    yield live
    await live.stop()


async def test_teapot(app: LiveApp) -> None:
    response = await app.client.get("/v1/teapot")
    assert response.status_code == 418
    assert response.json() == {"status": 418, "message": "I'm a teapot", "successful": False}


async def test_unknown_route_is_404_envelope(app: LiveApp) -> None:
    response = await app.client.get("/v1/nothing/here")
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Resource not found",
        "error": "NotFound",
        "successful": False,
    }


async def test_unknown_schema_page_is_404_envelope(app: LiveApp) -> None:
    for path in ("/v1/schema/redoc", "/v1/schema/swagger", "/v1/schema/nothing.json"):
        response = await app.client.get(path)
        assert response.status_code == 404, path
        assert response.json() == {
            "status": 404,
            "message": "Resource not found",
            "error": "NotFound",
            "successful": False,
        }
    assert (await app.client.get("/v1/schema")).headers["content-type"].startswith("text/html")


async def test_url_with_nul_is_400(app: LiveApp) -> None:
    for path in ("/v1/user/users/a%00b", "/v1/company/companies?search=a%00"):
        response = await app.client.get(path)
        assert response.status_code == 400 and response.json()["error"] == "InvalidCharacter", path


async def test_wrong_method_is_405_envelope(app: LiveApp) -> None:
    response = await app.client.delete("/v1/teapot")
    assert response.status_code == 405
    body = response.json()
    assert body["error"] == "MethodNotAllowed" and body["successful"] is False and body["status"] == 405


async def test_success_envelope_and_body_struct(app: LiveApp) -> None:
    headers = await app.headers("probe.use")
    response = await app.client.post("/v1/probe/echo", json={"name": "x", "count": 3}, headers=headers)
    assert response.status_code == 201
    assert response.json() == {
        "status": 201,
        "message": "Echoed",
        "data": {"name": "x", "count": 3},
        "successful": True,
    }


async def test_validation_error_shape(app: LiveApp) -> None:
    headers = await app.headers("probe.use")
    response = await app.client.post("/v1/probe/echo", json={"count": "many"}, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body["message"] == "Validation error"
    assert body["error"] == "ValidationError"
    assert body["successful"] is False
    assert body["errors"] and all({"path", "message"} <= set(e) for e in body["errors"])


async def test_malformed_json(app: LiveApp) -> None:
    headers = {**(await app.headers("probe.use")), "content-type": "application/json"}
    response = await app.client.post("/v1/probe/echo", content=b'{"name": "x",', headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "MalformedJson"


async def test_json_too_deep(app: LiveApp) -> None:
    headers = {**(await app.headers("probe.use")), "content-type": "application/json"}
    deep = b'{"name": "x", "count": 1, "extra": ' + b"[" * 100 + b"]" * 100 + b"}"
    response = await app.client.post("/v1/probe/echo", content=deep, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "JsonTooDeep"


async def test_body_over_limit_is_413(app: LiveApp) -> None:
    headers = {**(await app.headers("probe.use")), "content-type": "application/json"}
    big = b'{"name": "' + b"x" * (app.host.settings.server.max_body_bytes + 10) + b'"}'
    response = await app.client.post("/v1/probe/echo", content=big, headers=headers)
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "RequestEntityTooLarge" and body["successful"] is False


async def test_unexpected_exception_is_500_without_details(app: LiveApp) -> None:
    response = await app.client.get("/v1/probe/boom")
    assert response.status_code == 500
    assert response.json() == {
        "status": 500,
        "message": "Internal server error",
        "error": "InternalServerError",
        "successful": False,
    }
    assert "secret internal detail" not in response.text


async def test_401_without_token_and_with_garbage(app: LiveApp) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = await app.client.post("/v1/probe/echo", json={"name": "x"}, headers=headers)
        assert response.status_code == 401
        assert response.json() == {
            "status": 401,
            "message": "Unauthorized",
            "error": "Unauthorized",
            "successful": False,
        }


async def test_403_lists_missing_nodes(app: LiveApp) -> None:
    response = await app.client.post("/v1/probe/echo", json={"name": "x"}, headers=await app.headers())
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "InsufficientPermission"
    assert body["missing"] == ["probe.use"]


async def test_key_scheme_accepts_access_token(app: LiveApp) -> None:
    token = await app.token(permissions=["probe.use"])
    response = await app.client.post("/v1/probe/echo", json={"name": "k"}, headers={"Authorization": f"Key {token}"})
    assert response.status_code == 201


async def test_field_gate_keeps_only_granted_keys(app: LiveApp) -> None:
    response = await app.client.get("/v1/probe/gated", headers=await app.headers("probe.use", "obj.probe.a"))
    assert response.json()["data"] == {"a": 1}
    response = await app.client.get("/v1/probe/gated", headers=await app.headers("probe.use", "obj.probe.*"))
    assert response.json()["data"] == {"a": 1, "b": 2}


async def test_health_and_ready(app: LiveApp) -> None:
    health = await app.client.get("/v1/health")
    assert health.status_code == 200 and health.json()["data"] == {"alive": True}
    ready = await app.client.get("/v1/ready")
    assert ready.status_code == 200
    assert ready.json()["data"]["checks"] == {"database": "ok", "cache": "ok"}


async def test_openapi_lists_permissions_and_docs_work_offline(app: LiveApp) -> None:
    schema = (await app.client.get("/v1/schema/openapi.json")).json()
    operation = schema["paths"]["/v1/probe/echo"]["post"]
    assert operation["x-permissions"] == ["probe.use"]
    assert "probe.use" in operation["description"]
    responses = operation["responses"]
    assert set(responses) >= {"201", "400", "401", "403", "413", "500"}
    refs = {code: str(r["content"]["application/json"]["schema"]) for code, r in responses.items() if code != "201"}
    assert "ValidationErrorBody" in refs["400"] and "ForbiddenBody" in refs["403"] and "ErrorBody" in refs["401"]
    components = schema["components"]["schemas"]
    assert set(components["ValidationErrorBody"]["properties"]) == {
        "status",
        "message",
        "error",
        "errors",
        "successful",
    }
    page = await app.client.get("/v1/schema")
    assert page.status_code == 200
    assert "cdn." not in page.text and "/v1/schema/static/swagger-ui-bundle.js" in page.text
    asset = await app.client.get("/v1/schema/static/swagger-ui-bundle.js")
    assert asset.status_code == 200 and len(asset.content) > 100_000


async def test_plugins_route(app: LiveApp) -> None:
    assert (await app.client.get("/v1/plugins", headers=await app.headers())).status_code == 403
    response = await app.client.get("/v1/plugins", headers=await app.headers("plugins.read"))
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.json()["data"]}
    assert rows["probe"]["enabled"] is True
    assert "POST /v1/probe/echo" in rows["probe"]["routes"]
    assert "probe.use" in rows["probe"]["permissions"]
    assert rows["probe"]["jobs"] == ["probe.tick", "probe.failing"]
    assert set(rows["probe"]) >= {
        "name",
        "version",
        "enabled",
        "requires",
        "routes",
        "permissions",
        "jobs",
        "events",
    }
