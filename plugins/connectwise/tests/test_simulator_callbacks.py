"""ConnectWise simulator: callback registration, matching, delivery bodies, retries and ``touch``."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from optima_connectwise.simulator import ConnectWiseError, ConnectWiseSimulator, create_connectwise_simulator
from optima_connectwise.simulator.testing import RunningSimulator

from optima_platform.servers import ThreadedServer, free_port


class Receiver:
    """A tiny ASGI app that records callback POSTs and answers the statuses it is told to."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.delay = 0.0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {key.decode(): value.decode() for key, value in scope["headers"]}
        self.received.append({"path": scope["path"], "body": json.loads(body), "headers": headers})
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-length", b"2")]})
        await send({"type": "http.response.body", "body": b"ok"})


@pytest.fixture(scope="module")
def receiver_server() -> Iterator[tuple[Receiver, str]]:
    receiver = Receiver()
    with ThreadedServer(receiver) as server:
        yield receiver, server.url


@pytest.fixture()
def receiver(receiver_server: tuple[Receiver, str]) -> Receiver:
    receiver_server[0].received.clear()
    receiver_server[0].statuses.clear()
    receiver_server[0].delay = 0.0
    return receiver_server[0]


@pytest.fixture()
def receiver_url(receiver_server: tuple[Receiver, str]) -> str:
    return receiver_server[1]


@pytest.fixture()
def running() -> Iterator[RunningSimulator]:
    sim = create_connectwise_simulator(seed=4, scale=0.1, callback_retry_delays=(0.05, 0.1), callback_timeout=1.0)
    with RunningSimulator(sim) as server:
        yield server


@pytest.fixture()
async def api(running: RunningSimulator) -> AsyncIterator[httpx.AsyncClient]:
    async with running.async_client() as client:
        yield client


async def register(api: httpx.AsyncClient, url: str, **fields: Any) -> dict[str, Any]:
    body = {"url": url, "objectId": 1, "type": "company", "level": "owner", "description": "test", **fields}
    response = await api.post("/system/callbacks", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def test_register_and_list_callbacks(api: httpx.AsyncClient, receiver_url: str) -> None:
    created = await register(api, f"{receiver_url}/cw/callback/s3cret/company")
    assert created["inactiveFlag"] is False and created["isSelfSuppressedFlag"] is False
    assert created["type"] == "company" and created["level"] == "owner"
    uuid.UUID(created["connectWiseID"])
    listed = (await api.get("/system/callbacks")).json()
    assert [callback["id"] for callback in listed] == [created["id"]]
    duplicate = await api.post(
        "/system/callbacks",
        json={"url": created["url"], "objectId": 1, "type": "Company", "level": "Owner"},
    )
    assert duplicate.status_code == 400 and duplicate.json()["errors"][0]["code"] == "ObjectExists"
    missing = await api.post("/system/callbacks", json={"description": "no url"})
    assert {error["field"] for error in missing.json()["errors"]} == {"url", "objectId", "type", "level"}
    bad = await api.post(
        "/system/callbacks", json={"url": "ftp://x", "objectId": 1, "type": "spaceship", "level": "owner"}
    )
    assert {error["field"] for error in bad.json()["errors"]} == {"url", "type"}
    assert (await api.delete(f"/system/callbacks/{created['id']}")).status_code == 204


async def test_touch_delivers_the_connectwise_body(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    sim = running.simulator
    callback = await register(api, f"{receiver_url}/cw/callback/s3cret/company")
    before = sim.get("company", 256)
    assert before is not None
    old_updated = before["_info"]["lastUpdated"]
    record = await sim.touch("company", 256, name="New Name")
    assert record["name"] == "New Name" and record["_info"]["lastUpdated"] > old_updated
    assert len(sim.callback_deliveries) == 1
    delivery = sim.callback_deliveries[0]
    assert delivery.status == 200 and delivery.ok and delivery.attempt == 1
    assert delivery.url == callback["url"]
    assert len(receiver.received) == 1
    received = receiver.received[0]
    assert received["path"] == "/cw/callback/s3cret/company"
    assert received["headers"]["content-type"].startswith("application/json")
    body = received["body"]
    assert body == delivery.body
    uuid.UUID(body["MessageId"])
    assert body["Action"] == "updated" and body["Type"] == "company" and body["ID"] == 256
    assert body["CompanyId"] == "optima" and body["MemberId"] == record["_info"]["updatedBy"]
    assert body["ProductInstanceId"] is None and body["PartnerId"] is None
    assert isinstance(body["Entity"], str)
    entity = json.loads(body["Entity"])
    assert entity["name"] == "New Name" and entity["id"] == 256
    assert entity["_info"]["lastUpdated"] == record["_info"]["lastUpdated"]
    assert body["Metadata"]["key_url"].endswith("/company/companies/256")
    assert body["FromUrl"] and body["CallbackObjectRecId"] == callback["id"]
    fetched = (await api.get("/company/companies/256")).json()
    assert fetched["name"] == "New Name"
    assert body["Metadata"]["key_url"].startswith(str(api.base_url).rstrip("/"))


async def test_api_writes_deliver_added_updated_deleted(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    await register(api, f"{receiver_url}/hook")
    created = (await api.post("/company/companies", json={"identifier": "HookCo", "name": "Hook Co"})).json()
    await api.patch(f"/company/companies/{created['id']}", json=[{"op": "replace", "path": "name", "value": "Hook 2"}])
    await api.delete(f"/company/companies/{created['id']}")
    await running.simulator.wait_for_callbacks(5)
    assert [(r["body"]["Action"], r["body"]["ID"]) for r in receiver.received] == [
        ("added", created["id"]),
        ("updated", created["id"]),
        ("deleted", created["id"]),
    ]
    assert receiver.received[0]["body"]["MemberId"] == "OptimaAPI"
    assert json.loads(receiver.received[1]["body"]["Entity"])["name"] == "Hook 2"


async def test_levels_and_object_ids_select_records(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    sim = running.simulator
    await register(api, f"{receiver_url}/one-company", level="company", objectId=257)
    await register(api, f"{receiver_url}/won", type="opportunity", level="status", objectId=29)
    await register(api, f"{receiver_url}/off", inactiveFlag=True)
    await register(api, f"{receiver_url}/tickets", type="ticket", level="board", objectId=1)
    await sim.touch("company", 258, name="Not watched")
    await sim.touch("company", 257, name="Watched")
    open_opportunity = next(o for o in sim.store.records("opportunities") if not o["closedFlag"])
    await sim.touch("opportunity", open_opportunity["id"], notes="still open")
    await sim.touch("opportunity", open_opportunity["id"], status={"id": 29})
    ticket = next(t for t in sim.store.records("tickets") if t["board"]["id"] == 1)
    other_ticket = next(t for t in sim.store.records("tickets") if t["board"]["id"] != 1)
    await sim.touch("ticket", ticket["id"], summary="Watched ticket")
    await sim.touch("ticket", other_ticket["id"], summary="Other board")
    paths = [(r["path"], r["body"]["ID"]) for r in receiver.received]
    assert paths == [("/one-company", 257), ("/won", open_opportunity["id"]), ("/tickets", ticket["id"])]
    ticket_entity = json.loads(receiver.received[2]["body"]["Entity"])
    assert ticket_entity["summary"] == "Watched ticket" and receiver.received[2]["body"]["Type"] == "ticket"


async def test_retries_twice_then_gives_up(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    sim = running.simulator
    await register(api, f"{receiver_url}/flaky")
    receiver.statuses = [500, 503]
    await sim.touch("company", 256, name="Retry me")
    assert [(d.attempt, d.status) for d in sim.callback_deliveries] == [(1, 500), (2, 503), (3, 200)]
    assert len({d.body["MessageId"] for d in sim.callback_deliveries}) == 1
    sim.callback_deliveries.clear()
    receiver.statuses = [500, 500, 500, 500]
    await sim.touch("company", 256, name="Never delivered")
    assert [(d.attempt, d.ok) for d in sim.callback_deliveries] == [(1, False), (2, False), (3, False)]
    assert receiver.statuses == [500]


async def test_unreachable_and_slow_receivers(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    sim = running.simulator
    callback = await register(api, f"http://127.0.0.1:{free_port()}/nobody-home")
    await sim.touch("company", 256, name="Into the void")
    assert [d.status for d in sim.callback_deliveries] == [None, None, None]
    assert all(d.error for d in sim.callback_deliveries)
    await api.delete(f"/system/callbacks/{callback['id']}")
    sim.callback_deliveries.clear()
    sim.callbacks.settings.timeout = 0.2
    receiver.delay = 0.5
    await register(api, f"{receiver_url}/slow")
    await sim.touch("company", 256, name="Too slow")
    assert len(sim.callback_deliveries) == 3
    assert all(d.status is None and "Timeout" in (d.error or "") for d in sim.callback_deliveries)


async def test_self_suppressed_callbacks_skip_the_api_members_own_changes(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    await register(api, f"{receiver_url}/quiet", isSelfSuppressedFlag=True)
    await api.patch("/company/companies/256", json=[{"op": "replace", "path": "name", "value": "By the API"}])
    await running.simulator.wait_for_callbacks(5)
    assert receiver.received == []
    await running.simulator.touch("company", 256, name="By a person", updated_by="jroberts")
    assert [r["body"]["MemberId"] for r in receiver.received] == ["jroberts"]


async def test_touch_kinds_errors_and_deletion(
    running: RunningSimulator, receiver: Receiver, receiver_url: str
) -> None:
    sim: ConnectWiseSimulator = running.simulator
    with pytest.raises(KeyError):
        await sim.touch("spaceship", 1, name="x")
    with pytest.raises(ConnectWiseError) as missing:
        await sim.touch("company", 999999, name="x")
    assert missing.value.status == 404
    with pytest.raises(ConnectWiseError) as invalid:
        await sim.touch("company", 256, name="")
    assert invalid.value.status == 400
    contact = await sim.touch("contacts", 1000, title="Chief Tester", wait=False)
    assert contact["title"] == "Chief Tester"
    removed = await sim.touch("opportunity", 5000, action="deleted")
    assert removed["id"] == 5000 and sim.get("opportunity", 5000) is None
    assert sim.store.records("forecast_items", 5000) == []


async def test_touch_and_deliveries_over_http(
    running: RunningSimulator, api: httpx.AsyncClient, receiver: Receiver, receiver_url: str
) -> None:
    await register(api, f"{receiver_url}/remote", type="contact")
    async with httpx.AsyncClient(base_url=f"{running.url}/__sim__") as control:
        touched = await control.post("/touch", json={"kind": "contact", "id": 1000, "changes": {"title": "Remote"}})
        assert touched.status_code == 200 and touched.json()["title"] == "Remote"
        assert touched.json()["_info"]["updatedBy"] == running.simulator.store.get("members", 101)["identifier"]
        deliveries = (await control.get("/callbacks")).json()
        assert deliveries["pending"] == 0
        assert [d["status"] for d in deliveries["deliveries"]] == [200]
        assert (await control.post("/touch", json={"kind": "contact", "id": 1})).status_code == 404
        assert (await control.post("/touch", json={"kind": "nope", "id": 1})).status_code == 400
        assert (await control.post("/touch", json={"id": "x"})).status_code == 400
        assert (await control.delete("/callbacks")).status_code == 204
        assert (await control.get("/callbacks")).json()["deliveries"] == []
    assert json.loads(receiver.received[0]["body"]["Entity"])["title"] == "Remote"
