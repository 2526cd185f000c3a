"""``POST /v1/cw/callback/{secret}/{resource}``: the secret, the summary, and changes acted on at once.

The simulator delivers its callbacks to the live app over real HTTP, as ConnectWise would.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import msgspec
import pytest
import socketio
from cw_harness import SECRET, CWEnv, cw_env
from optima_connectwise.connection import client_of, settings_of
from optima_connectwise.services import callbacks as svc
from optima_connectwise.services import companies
from sqlalchemy import select

from optima_platform.core.models import Company as CompanyRow
from optima_platform.testing.fixtures import DatabaseFactory

TICKET_BODY = {
    "MessageId": "1bec7421-204a-4b30-8b06-465915e9a0f5",
    "FromUrl": "api-na.myconnectwise.net",
    "CompanyId": "optima",
    "MemberId": "jroberts",
    "Action": "updated",
    "Type": "ticket",
    "ID": 36073,
    "ProductInstanceId": None,
    "PartnerId": None,
    "Entity": json.dumps(
        {
            "id": 36073,
            "summary": "Onsite Installation: Rough-In",
            "status": {"id": 16, "name": "In Progress"},
            "_info": {"lastUpdated": "2026-03-03T21:43:29.903", "updatedBy": "cirvine"},
        }
    ),
    "Metadata": {"key_url": "https://api-na.myconnectwise.net/v4_6_release/apis/3.0/service/tickets/36073"},
    "CallbackObjectRecId": 12,
}


@pytest.fixture(scope="module")
async def env(databases: DatabaseFactory) -> AsyncIterator[CWEnv]:
    async with cw_env(databases, seed=5, scale=0.2) as running:
        host = running.live.host
        await companies.sync_companies(host)
        await svc.register_callbacks(
            client_of(host), settings_of(host), host.settings.public_url, ("company", "opportunity", "ticket")
        )
        yield running


@pytest.fixture(autouse=True)
def no_faults(env: CWEnv) -> None:
    env.sim.faults.reset()
    env.sim.callback_deliveries.clear()


async def row_of(env: CWEnv, cw_id: int) -> CompanyRow | None:
    async with env.live.host.db.session() as session:
        return (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id == cw_id))).scalar_one_or_none()


async def company_json(env: CWEnv, identifier: str, **params: str) -> dict[str, Any]:
    headers = await env.live.headers("company.fetch", "company.fetch.address", "obj.company.*")
    response = await env.live.client.get(f"/v1/company/companies/{identifier}", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["data"]


def deliveries_ok(env: CWEnv, kind: str) -> list[Any]:
    found = [d for d in env.sim.callback_deliveries if d.body["Type"] == kind]
    assert found and all(d.ok for d in found), [(d.status, d.error) for d in found]
    return found


async def test_summary_shape(env: CWEnv) -> None:
    response = await env.live.client.post(env.callback_url("ticket"), json=TICKET_BODY)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200 and body["message"] == "CW callback received." and body["successful"] is True
    data = body["data"]
    assert set(data) == {"resource", "summary", "bodyParsed", "receivedAt"}
    assert data["resource"] == "ticket"
    assert data["summary"] == {
        "resource": "ticket",
        "messageId": "1bec7421-204a-4b30-8b06-465915e9a0f5",
        "action": "updated",
        "type": "ticket",
        "id": 36073,
        "memberId": "jroberts",
        "entityStatus": "In Progress",
        "entitySummary": "Onsite Installation: Rough-In",
        "entityUpdatedBy": "cirvine",
        "entityLastUpdated": "2026-03-03T21:43:29.903",
    }
    assert data["bodyParsed"] == {**TICKET_BODY, "Entity": json.loads(TICKET_BODY["Entity"])}
    assert data["receivedAt"].endswith("Z") and len(data["receivedAt"]) == len("2026-03-04T00:00:00.000Z")
    assert abs((datetime.fromisoformat(data["receivedAt"]) - datetime.now().astimezone()).total_seconds()) < 60


async def test_activity_and_an_empty_body_are_acknowledged(env: CWEnv) -> None:
    response = await env.live.client.post(env.callback_url("activity"))
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["summary"]["resource"] == "activity" and data["summary"]["id"] is None
    assert data["bodyParsed"] == {}
    named = await env.live.client.post(
        env.callback_url("activity"),
        json={"ID": 700, "Action": "added", "Type": "activity", "Entity": json.dumps({"id": 700, "name": "Call"})},
    )
    assert named.json()["data"]["summary"]["entitySummary"] == "Call"


async def test_wrong_secret_is_403_whatever_the_body(env: CWEnv) -> None:
    for secret in (SECRET + "x", SECRET[:-1], "wrong", SECRET.upper()):
        for resource, kwargs in (
            ("ticket", {"json": TICKET_BODY}),
            ("nosuch", {"json": TICKET_BODY}),
            ("company", {"content": b"{not json"}),
        ):
            response = await env.live.client.post(env.callback_url(resource, secret), **kwargs)
            assert response.status_code == 403, (secret, resource, response.text)
            assert response.json() == {
                "status": 403,
                "message": "Invalid callback secret.",
                "error": "Forbidden",
                "successful": False,
            }


async def test_unknown_resource_is_400(env: CWEnv) -> None:
    response = await env.live.client.post(env.callback_url("invoice"), json=TICKET_BODY)
    assert response.status_code == 400
    assert response.json()["error"] == "UnsupportedResource"


async def test_malformed_bodies_are_400(env: CWEnv) -> None:
    url = env.callback_url("company")
    not_json = await env.live.client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["error"] == "MalformedJson"
    array = await env.live.client.post(url, json=[1, 2])
    assert array.status_code == 400 and array.json()["message"] == "Validation error"
    bad_entity = await env.live.client.post(url, json={"ID": 250, "Entity": "{broken"})
    assert bad_entity.status_code == 400 and bad_entity.json()["error"] == "MalformedCallback"
    list_entity = await env.live.client.post(url, json={"ID": 250, "Entity": "[1]"})
    assert list_entity.status_code == 400 and list_entity.json()["error"] == "MalformedCallback"
    no_id = await env.live.client.post(url, json={"Action": "updated", "Type": "company"})
    assert no_id.status_code == 400 and no_id.json()["error"] == "MalformedCallback"
    bad_id = await env.live.client.post(env.callback_url("opportunity"), json={"ID": "abc", "Action": "updated"})
    assert bad_id.status_code == 400


async def test_a_company_callback_changes_what_is_served_without_the_job(env: CWEnv) -> None:
    row = await row_of(env, 256)
    assert row is not None
    before = await company_json(env, row.id, includeAddress="true")  # primes the enrichment cache
    watermark = await companies.read_watermark(env.live.host)
    await env.sim.touch("company", 256, name="Acme Corporation", addressLine1="1 Callback Way")
    deliveries_ok(env, "company")
    after = await company_json(env, row.id, includeAddress="true")
    assert before["name"] != "Acme Corporation"
    assert after["name"] == "Acme Corporation"
    assert after["cw_Data"]["address"]["line1"] == "1 Callback Way"
    headers = await env.live.headers("company.fetch.many", "obj.company.*")
    listed = await env.live.client.get("/v1/company/companies", params={"search": "Acme Corporation"}, headers=headers)
    assert [c["id"] for c in listed.json()["data"]] == [row.id]
    assert await companies.read_watermark(env.live.host) == watermark  # no sync ran


async def test_a_company_added_in_connectwise_appears(env: CWEnv) -> None:
    async with env.running.async_client() as cw:
        created = await cw.post("/company/companies", json={"identifier": "CallbackCo", "name": "Callback Co"})
    assert created.status_code == 201
    await env.sim.wait_for_callbacks()
    deliveries_ok(env, "company")
    row = await row_of(env, created.json()["id"])
    assert row is not None and row.name == "Callback Co" and row.cw_identifier == "CallbackCo"


async def test_a_company_deleted_in_connectwise_is_kept_and_marked(env: CWEnv) -> None:
    row = await row_of(env, 259)
    assert row is not None and row.cw_data["deleted"] is False
    await env.sim.touch("company", 259, action="deleted")
    deliveries_ok(env, "company")
    after = await row_of(env, 259)
    assert after is not None and after.id == row.id and after.cw_data["deleted"] is True
    data = await company_json(env, row.id, includeAddress="true")
    assert data["cw_Data"] == {"address": None}


async def test_connectwise_failing_during_the_refresh_keeps_the_old_data(env: CWEnv) -> None:
    row = await row_of(env, 257)
    assert row is not None
    env.sim.faults.set(error_rate=1.0)
    await env.sim.touch("company", 257, name="Should Not Appear Yet")
    deliveries_ok(env, "company")  # acknowledged with 200: ConnectWise must not retry into the failure
    after = await row_of(env, 257)
    assert after is not None and (after.name, after.cw_data) == (row.name, row.cw_data)
    assert (await company_json(env, row.id))["name"] == row.name
    env.sim.faults.reset()
    await companies.sync_companies(env.live.host)  # the next incremental sync picks the change up
    assert (await company_json(env, row.id))["name"] == "Should Not Appear Yet"


async def secure_client(env: CWEnv) -> tuple[socketio.AsyncClient, list[dict[str, Any]]]:
    client = socketio.AsyncClient()
    events: list[dict[str, Any]] = []
    connected = asyncio.Event()
    client.on(svc.OPPORTUNITY_EVENT, lambda data: events.append(data), namespace="/secure")
    client.on("secure:connected", lambda data: connected.set(), namespace="/secure")
    await client.connect(
        env.live.url, namespaces=["/secure"], transports=["websocket"], auth={"token": await env.live.token()}
    )
    await asyncio.wait_for(connected.wait(), 5)
    return client, events


async def wait_for(events: list[Any], count: int = 1) -> None:
    for _ in range(100):
        if len(events) >= count:
            return
        await asyncio.sleep(0.05)


async def test_an_opportunity_callback_reaches_open_secure_clients(env: CWEnv) -> None:
    client, events = await secure_client(env)
    try:
        await env.sim.touch("opportunity", 5001, name="Renamed in ConnectWise")
        deliveries_ok(env, "opportunity")
        await wait_for(events)
        assert events == [{"id": 5001, "action": "updated"}]
        cached = await env.live.host.store("connectwise").get("opportunity:5001")
        assert cached is not None and json.loads(cached)["name"] == "Renamed in ConnectWise"

        await env.sim.touch("opportunity", 5002, action="deleted")
        await wait_for(events, 2)
        assert events[1] == {"id": 5002, "action": "deleted"}
    finally:
        await client.disconnect()


async def test_no_opportunity_event_when_the_refresh_fails(env: CWEnv) -> None:
    client, events = await secure_client(env)
    try:
        target = next(o["id"] for o in env.sim.store.records("opportunities") if o["company"]["id"] == 256)
        env.sim.faults.set(error_rate=1.0)
        await env.sim.touch("opportunity", target, name="Unseen")
        deliveries_ok(env, "opportunity")
        await asyncio.sleep(0.3)
        assert events == []
    finally:
        await client.disconnect()


async def test_a_ticket_callback_from_the_simulator_is_acknowledged(env: CWEnv) -> None:
    ticket = next(iter(env.sim.store.records("tickets")))
    await env.sim.touch("ticket", ticket["id"], summary="Changed summary")
    assert deliveries_ok(env, "ticket")


async def test_registration_is_idempotent_and_prunes_a_rotated_secret(env: CWEnv) -> None:
    host = env.live.host
    settings = settings_of(host)
    cw = client_of(host)
    before = await cw.callbacks()
    again = await svc.register_callbacks(cw, settings, host.settings.public_url, ("company",))
    assert [r.removed for r in again] == [[]]
    assert len(await cw.callbacks()) == len(before)
    rotated = msgspec.structs.replace(settings, callback_secret="rotated-secret-0123456789")
    done = await svc.register_callbacks(cw, rotated, host.settings.public_url, ("company",))
    old = next(c for c in before if c.type == "company")
    assert done[0].removed == [old.id]
    urls = [c.url for c in await cw.callbacks() if c.type == "company"]
    assert urls == [rotated.callback_url(host.settings.public_url, "company")]
    restored = await svc.register_callbacks(cw, settings, host.settings.public_url, ("company",))
    assert restored[0].removed == [done[0].callback.id]
    assert svc.masked(restored[0].callback.url, settings).endswith("/v1/cw/callback/***/company")


@pytest.fixture(scope="module")
async def unconfigured(databases: DatabaseFactory) -> AsyncIterator[CWEnv]:
    async with cw_env(databases, seed=5, scale=0.1, callback_secret=None) as running:
        yield running


async def test_every_call_is_403_while_no_secret_is_configured(unconfigured: CWEnv) -> None:
    assert settings_of(unconfigured.live.host).callback_secret is None
    for secret in (SECRET, "None", "null", "undefined", "-"):
        for resource in ("ticket", "company", "nosuch"):
            response = await unconfigured.live.client.post(
                unconfigured.callback_url(resource, secret), json=TICKET_BODY
            )
            assert response.status_code == 403, response.text
            assert response.json()["error"] == "Forbidden"


async def test_a_404_marks_deleted_only_for_a_deleted_callback(env: CWEnv) -> None:
    ghost = 9_100_001  # linked locally, unknown to ConnectWise: it answers 404 (as cloud can for bad auth)
    async with env.live.host.db.session() as session, session.begin():
        session.add(CompanyRow(name="Ghost Co", cw_company_id=ghost, cw_data={"deleted": False}))
    store = env.live.host.store("connectwise")
    await store.set("opportunity:9100002", b'{"id": 9100002, "name": "Cached"}')
    for action in ("updated", "added"):
        for resource, record in (("company", ghost), ("opportunity", 9_100_002)):
            body = {"Action": action, "Type": resource, "ID": record, "Entity": json.dumps({"id": record})}
            response = await env.live.client.post(env.callback_url(resource), json=body)
            assert response.status_code == 200, response.text
    row = await row_of(env, ghost)
    assert row is not None and row.cw_data["deleted"] is False and row.name == "Ghost Co"
    assert await store.get("opportunity:9100002") is not None
    body = {"Action": "deleted", "Type": "company", "ID": ghost, "Entity": ""}
    assert (await env.live.client.post(env.callback_url("company"), json=body)).status_code == 200
    row = await row_of(env, ghost)
    assert row is not None and row.cw_data["deleted"] is True
