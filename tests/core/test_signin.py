"""Sign-in end to end against the identity simulator over real HTTP, with the Socket.IO hand-off;
refresh rotation and reuse detection; the /secure namespace; API keys; rate limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import socketio
from sqlalchemy import select

from optima_platform.core.identity.directory import DEMO_DIRECTORY, DEMO_TENANT_ID
from optima_platform.core.identity.simulator import IdentitySimulator, IdTokenTampering, create_identity_simulator
from optima_platform.core.models import User
from optima_platform.core.services.tokens import create_api_key, revoke_api_key
from optima_platform.servers import TaskServer
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app

CLIENT_ID, CLIENT_SECRET = "optima-test", "test-secret-value"
ALEX, TAYLOR = DEMO_DIRECTORY[0], DEMO_DIRECTORY[1]


class Env:
    def __init__(self, app: LiveApp, sim: IdentitySimulator, sim_server: TaskServer) -> None:
        self.app, self.sim, self.sim_server = app, sim, sim_server


@pytest.fixture(scope="module")
async def env(databases: DatabaseFactory) -> AsyncIterator[Env]:
    sim = create_identity_simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    sim_server = await TaskServer(sim.app).start()
    auth = {
        "bootstrap_admins": [ALEX.email],
        "session_watch_seconds": 0.3,
        "microsoft": {
            "authority": sim_server.url,
            "tenant": DEMO_TENANT_ID,
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
        "rate_limit": {"sign_in_per_minute": 1000, "refresh_per_minute": 1000},
    }
    app = await start_live_app(make_settings(await databases.create(), plugins=["core"], auth=auth))
    yield Env(app, sim, sim_server)
    await app.stop()
    await sim_server.stop()


async def authorize(env: Env, email: str | None = ALEX.email) -> tuple[str, str]:
    """GET /v1/auth/uri, follow it to the simulator; returns (callbackKey, our redirect URL)."""
    params = {"loginHint": email} if email else {}
    data = (await env.app.client.get("/v1/auth/uri", params=params)).json()["data"]
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        response = await browser.get(data["uri"])
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(f"{env.app.url}/v1/auth/redirect?")
    return data["callbackKey"], location


async def test_uri_shape(env: Env) -> None:
    response = await env.app.client.get("/v1/auth/uri")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "Successfully fetch Auth URI" and body["successful"] is True
    uri, key = body["data"]["uri"], body["data"]["callbackKey"]
    assert uri.startswith(f"{env.sim_server.url}/{DEMO_TENANT_ID}/oauth2/v2.0/authorize?")
    assert f"state={key}" in uri and "code_challenge_method=S256" in uri and "nonce=" in uri


async def test_browserless_sign_in_with_socket_hand_off(env: Env) -> None:
    client = socketio.AsyncClient()
    tokens: list[dict[str, Any]] = []
    client.on("auth:tokens", lambda data: tokens.append(data))
    await client.connect(env.app.url, transports=["websocket"])
    try:
        data = (await env.app.client.get("/v1/auth/uri", params={"loginHint": ALEX.email})).json()["data"]
        ack = await client.call("auth:subscribe", {"callbackKey": data["callbackKey"]})
        assert ack == {"ok": True}
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            location = (await browser.get(data["uri"])).headers["location"]
            page = await browser.get(location)
        assert page.status_code == 200 and "window.close()" in page.text
        for _ in range(50):
            if tokens:
                break
            await asyncio.sleep(0.05)
        assert tokens and tokens[0]["callbackKey"] == data["callbackKey"]
        me = await env.app.client.get("/v1/user/@me", headers={"Authorization": f"Bearer {tokens[0]['accessToken']}"})
        assert me.status_code == 200
        assert me.json()["data"]["email"] == ALEX.email and me.json()["data"]["roles"] == ["admin"]
    finally:
        await client.disconnect()


async def test_late_subscriber_still_gets_tokens(env: Env) -> None:
    key, location = await authorize(env, TAYLOR.email)
    assert (await env.app.client.get(location)).status_code == 200
    client = socketio.AsyncClient()
    tokens: list[dict[str, Any]] = []
    client.on("auth:tokens", lambda data: tokens.append(data))
    await client.connect(env.app.url, transports=["websocket"])
    try:
        assert await client.call("auth:subscribe", {"callbackKey": key}) == {"ok": True}
        for _ in range(50):
            if tokens:
                break
            await asyncio.sleep(0.05)
        assert tokens and tokens[0]["refreshToken"]
        assert await client.call("auth:subscribe", {}) == {"ok": False, "error": "Missing callbackKey"}
    finally:
        await client.disconnect()


async def test_json_redirect_and_first_sign_in_creates_the_user(env: Env) -> None:
    _, location = await authorize(env, DEMO_DIRECTORY[4].email)
    response = await env.app.client.get(location, headers={"Accept": "application/json"})
    assert response.status_code == 200
    data = response.json()["data"]
    assert set(data) == {"accessToken", "refreshToken"}
    me = await env.app.client.get("/v1/user/@me", headers={"Authorization": f"Bearer {data['accessToken']}"})
    assert me.status_code == 403 and me.json()["missing"] == ["user.read"]
    async with env.app.host.db.session() as session:
        user = (await session.execute(select(User).where(User.email == DEMO_DIRECTORY[4].email))).scalar_one()
        assert user.oid == DEMO_DIRECTORY[4].oid and user.name == DEMO_DIRECTORY[4].name


async def test_bad_state_reused_code_and_wrong_nonce_are_refused(env: Env) -> None:
    json_accept = {"Accept": "application/json"}
    unknown = await env.app.client.get("/v1/auth/redirect", params={"code": "x", "state": "nope"}, headers=json_accept)
    assert unknown.status_code == 400 and unknown.json()["error"] == "InvalidState"
    _, location = await authorize(env)
    assert (await env.app.client.get(location, headers=json_accept)).status_code == 200
    again = await env.app.client.get(location, headers=json_accept)
    assert again.status_code == 400 and again.json()["error"] == "InvalidState"
    # a code from one flow presented with another flow's state: PKCE and the code's single use refuse it
    _, first = await authorize(env)
    key, _ = await authorize(env)
    code = httpx.URL(first).params["code"]
    mixed = await env.app.client.get("/v1/auth/redirect", params={"code": code, "state": key}, headers=json_accept)
    assert mixed.status_code == 401 and mixed.json()["error"] == "InvalidAuthorizationCode"
    env.sim.tamper_next_id_token(IdTokenTampering(nonce="someone-elses"))
    _, location = await authorize(env)
    wrong = await env.app.client.get(location, headers=json_accept)
    assert wrong.status_code == 401 and wrong.json()["error"] == "InvalidIdToken"
    denied = await env.app.client.get(
        "/v1/auth/redirect", params={"error": "access_denied", "state": "whatever"}, headers=json_accept
    )
    assert denied.status_code == 400
    html_page = await env.app.client.get("/v1/auth/redirect", params={"code": "x", "state": "nope"})
    assert html_page.status_code == 400 and "Sign-in failed" in html_page.text


async def sign_in(env: Env, email: str = ALEX.email) -> dict[str, str]:
    _, location = await authorize(env, email)
    return (await env.app.client.get(location, headers={"Accept": "application/json"})).json()["data"]


async def test_refresh_rotates_and_reuse_revokes_the_session(env: Env) -> None:
    tokens = await sign_in(env)
    first = await env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": tokens["refreshToken"]})
    assert first.status_code == 201
    body = first.json()
    assert body["message"] == "Token refreshed successfully!" and body["status"] == 201
    newer = body["data"]
    assert newer["refreshToken"] != tokens["refreshToken"]
    bearer = {"Authorization": f"Bearer {newer['accessToken']}"}
    assert (await env.app.client.get("/v1/user/@me", headers=bearer)).status_code == 200
    reused = await env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": tokens["refreshToken"]})
    assert reused.status_code == 401 and reused.json()["error"] == "RefreshTokenReused"
    assert (await env.app.client.get("/v1/user/@me", headers=bearer)).status_code == 401
    after = await env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": newer["refreshToken"]})
    assert after.status_code == 401
    missing = await env.app.client.post("/v1/auth/refresh")
    assert missing.status_code == 401 and missing.json()["successful"] is False


@pytest.mark.parametrize("form", ["headers", "auth.authorization", "auth.token", "key"])
async def test_secure_namespace_handshake_forms(env: Env, form: str) -> None:
    tokens = await sign_in(env)
    token = tokens["accessToken"]
    kwargs: dict[str, Any] = {
        "headers": {"headers": {"Authorization": f"Bearer {token}"}},
        "auth.authorization": {"auth": {"authorization": f"Bearer {token}"}},
        "auth.token": {"auth": {"token": token}},
        "key": {"auth": {"authorization": f"Key {token}"}},
    }[form]
    client = socketio.AsyncClient()
    connected: list[dict[str, Any]] = []
    client.on("secure:connected", lambda data: connected.append(data), namespace="/secure")
    await client.connect(env.app.url, namespaces=["/secure"], transports=["websocket"], **kwargs)
    try:
        for _ in range(40):
            if connected:
                break
            await asyncio.sleep(0.05)
        assert connected and connected[0]["userId"]
    finally:
        await client.disconnect()


async def test_secure_namespace_refuses_bad_tokens(env: Env) -> None:
    client = socketio.AsyncClient()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect(env.app.url, namespaces=["/secure"], transports=["websocket"], auth={"token": "junk"})


async def test_revoked_session_gets_expired_event_and_disconnect(env: Env) -> None:
    tokens = await sign_in(env)
    client = socketio.AsyncClient()
    expired: list[Any] = []
    client.on("secure:session:expired", lambda data: expired.append(data), namespace="/secure")
    await client.connect(
        env.app.url, namespaces=["/secure"], transports=["websocket"], auth={"token": tokens["accessToken"]}
    )
    try:
        rotated = await env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": tokens["refreshToken"]})
        assert rotated.status_code == 201
        await env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": tokens["refreshToken"]})
        for _ in range(60):
            if expired and not client.namespaces:
                break
            await asyncio.sleep(0.1)
        assert expired and expired[0]["reason"]
        assert "/secure" not in client.namespaces
    finally:
        await client.disconnect()


async def test_api_keys_authenticate_with_key_scheme_and_revoke(env: Env) -> None:
    await sign_in(env, TAYLOR.email)
    row, secret = await create_api_key(env.app.host, email=TAYLOR.email, name="integration")
    assert secret.startswith("opk_") and row.key_hash != secret
    headers = {"Authorization": f"Key {secret}"}
    assert (await env.app.client.get("/v1/teapot", headers=headers)).status_code == 418
    me = await env.app.client.get("/v1/user/@me", headers=headers)
    assert me.status_code == 403 and me.json()["error"] == "InsufficientPermission"
    assert await revoke_api_key(env.app.host, row.prefix)
    assert (await env.app.client.get("/v1/user/@me", headers=headers)).status_code == 401


async def test_sign_in_is_rate_limited(databases: DatabaseFactory) -> None:
    import time

    auth = {"rate_limit": {"sign_in_per_minute": 2, "refresh_per_minute": 2}}
    app = await start_live_app(make_settings(await databases.create(), plugins=["core"], auth=auth))
    try:
        if time.time() % 60 > 55:  # keep the calls inside one fixed one-minute window
            await asyncio.sleep(60 - time.time() % 60 + 0.2)
        statuses = [
            (await app.client.post("/v1/auth/refresh", headers={"x-refresh-token": "x"})).status_code for _ in range(3)
        ]
        assert statuses == [401, 401, 429]
        limited = await app.client.post("/v1/auth/refresh", headers={"x-refresh-token": "x"})
        assert limited.json()["error"] == "TooManyRequests" and limited.json()["successful"] is False
        assert 0 < int(limited.headers["retry-after"]) <= 60
        sign_in = [(await app.client.get("/v1/auth/uri")).status_code for _ in range(3)]
        assert sign_in == [503, 503, 429]  # sign-in is not configured here, and still limited
        unconfigured = (await app.client.get("/v1/auth/uri")).json()
        assert unconfigured["error"] == "TooManyRequests"
    finally:
        await app.stop()


async def _wait_expired(client: socketio.AsyncClient, expired: list[Any]) -> None:
    for _ in range(60):
        if expired and "/secure" not in client.namespaces:
            return
        await asyncio.sleep(0.1)


async def test_api_key_socket_ends_when_the_key_is_revoked(env: Env) -> None:
    await sign_in(env, TAYLOR.email)
    row, secret = await create_api_key(env.app.host, email=TAYLOR.email, name="socket")
    client = socketio.AsyncClient()
    expired: list[Any] = []
    client.on("secure:session:expired", lambda data: expired.append(data), namespace="/secure")
    await client.connect(
        env.app.url, namespaces=["/secure"], transports=["websocket"], auth={"authorization": f"Key {secret}"}
    )
    try:
        await asyncio.sleep(0.5)
        assert "/secure" in client.namespaces and not expired
        assert await revoke_api_key(env.app.host, row.id)
        await _wait_expired(client, expired)
        assert expired == [{"reason": "API key revoked"}] and "/secure" not in client.namespaces
    finally:
        await client.disconnect()


async def test_deleted_user_socket_ends(env: Env) -> None:
    user = await env.app.user(email="doomed@example.test")
    client = socketio.AsyncClient()
    expired: list[Any] = []
    client.on("secure:session:expired", lambda data: expired.append(data), namespace="/secure")
    await client.connect(env.app.url, namespaces=["/secure"], transports=["websocket"], auth={"token": user.token})
    try:
        admin = await env.app.user("user.delete.other")
        deleted = await env.app.client.delete(f"/v1/user/users/{user.id}", headers=admin.headers)
        assert deleted.status_code == 200
        await _wait_expired(client, expired)
        assert expired and "/secure" not in client.namespaces
    finally:
        await client.disconnect()


async def test_tokens_are_delivered_once_and_not_to_a_second_subscriber(env: Env) -> None:
    data = (await env.app.client.get("/v1/auth/uri", params={"loginHint": ALEX.email})).json()["data"]
    first, second = socketio.AsyncClient(), socketio.AsyncClient()
    got: dict[str, list[Any]] = {"first": [], "second": []}
    first.on("auth:tokens", lambda body: got["first"].append(body))
    second.on("auth:tokens", lambda body: got["second"].append(body))
    await first.connect(env.app.url, transports=["websocket"])
    await second.connect(env.app.url, transports=["websocket"])
    try:
        assert await first.call("auth:subscribe", {"callbackKey": data["callbackKey"]}) == {"ok": True}
        async with httpx.AsyncClient(follow_redirects=False) as browser:
            location = (await browser.get(data["uri"])).headers["location"]
            assert (await browser.get(location)).status_code == 200
        for _ in range(50):
            if got["first"]:
                break
            await asyncio.sleep(0.05)
        assert len(got["first"]) == 1
        late = await second.call("auth:subscribe", {"callbackKey": data["callbackKey"]})
        assert late["ok"] is False
        await asyncio.sleep(0.3)
        assert got["second"] == []
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_concurrent_refreshes_with_one_token_never_500(env: Env) -> None:
    tokens = await sign_in(env)
    responses = await asyncio.gather(
        *(
            env.app.client.post("/v1/auth/refresh", headers={"x-refresh-token": tokens["refreshToken"]})
            for _ in range(8)
        )
    )
    codes = sorted(r.status_code for r in responses)
    assert codes.count(201) == 1 and set(codes) <= {201, 401}, codes


async def test_emails_from_an_untrusted_tenant_link_nothing_and_make_no_admin(
    databases: DatabaseFactory, env: Env
) -> None:
    auth = {
        "bootstrap_admins": [ALEX.email],
        "microsoft": {
            "authority": env.sim_server.url,
            "tenant": "organizations",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    }
    app = await start_live_app(make_settings(await databases.create(), plugins=["core"], auth=auth))
    try:
        other = Env(app, env.sim, env.sim_server)
        tokens = await sign_in(other, ALEX.email)
        me = await app.client.get("/v1/user/@me", headers={"Authorization": f"Bearer {tokens['accessToken']}"})
        assert me.status_code == 403  # signed in, but not made an admin from an untrusted tenant's email
        await app.user(email=TAYLOR.email)  # an account created by email, e.g. with optima token issue
        _, location = await authorize(other, TAYLOR.email)
        refused = await app.client.get(location, headers={"Accept": "application/json"})
        assert refused.status_code == 403 and refused.json()["error"] == "AccountConflict"
    finally:
        await app.stop()
