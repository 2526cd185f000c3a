"""The ConnectWise client against the ConnectWise simulator over real HTTP.

The only test instrument is ``Recorder``: a real ``httpx.AsyncHTTPTransport`` wrapped to record what was
sent, track how many requests are in flight, and — for the retry-safety tests — drop the answer of one
request *after* the simulator has processed it (a connection lost on the way back). Every other fault is
the simulator's own (``sim.faults``).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import msgspec
import pytest
from optima_connectwise.client import (
    C,
    ClientConfig,
    Company,
    ConnectWiseAuthFailed,
    ConnectWiseBadResponse,
    ConnectWiseClient,
    ConnectWiseMisconfigured,
    ConnectWiseNotFound,
    ConnectWiseRequestRejected,
    ConnectWiseThrottled,
    ConnectWiseTimeout,
    ConnectWiseUnavailable,
    Contact,
    Member,
    Note,
    Reference,
    replace,
)
from optima_connectwise.simulator import SimulatorCredentials, create_connectwise_simulator
from optima_connectwise.simulator.simulator import ConnectWiseSimulator

from optima_platform.servers import ThreadedServer, free_port

CREDENTIALS = SimulatorCredentials(
    company_id="optima",
    public_key="pub",
    private_key="priv",
    client_id="00000000-0000-4000-8000-000000000001",
)
OPPORTUNITY = 5000


class Recorder(httpx.AsyncBaseTransport):
    """A real HTTP transport that records requests and answers and tracks concurrency."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.requests: list[httpx.Request] = []
        self.statuses: list[int] = []
        self.in_flight = 0
        self.peak = 0
        self.lose_answer: Callable[[httpx.Request], bool] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            response = await self.inner.handle_async_request(request)
            await response.aread()
        finally:
            self.in_flight -= 1
        self.statuses.append(response.status_code)
        if self.lose_answer is not None and self.lose_answer(request):
            self.lose_answer = None
            raise httpx.ReadError("connection reset while reading the answer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()

    def api_requests(self) -> list[httpx.Request]:
        """The requests under ``apis/3.0`` (discovery left out)."""
        return [r for r in self.requests if "/apis/3.0/" in r.url.path]


@pytest.fixture(scope="module")
def sim() -> ConnectWiseSimulator:
    return create_connectwise_simulator(seed=1, scale=1.0, credentials=CREDENTIALS, codebase="v2025_1/")


@pytest.fixture(scope="module")
def server(sim: ConnectWiseSimulator) -> Iterator[ThreadedServer]:
    with ThreadedServer(sim.app) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(sim: ConnectWiseSimulator) -> Iterator[None]:
    sim.faults.reset()
    yield
    sim.faults.reset()


def make_config(site: str, **overrides: Any) -> ClientConfig:
    values: dict[str, Any] = {
        "site": site,
        "company_id": CREDENTIALS.company_id,
        "public_key": CREDENTIALS.public_key,
        "private_key": CREDENTIALS.private_key,
        "client_id": CREDENTIALS.client_id,
        "timeout": 5.0,
        "max_retries": 3,
        "backoff_base": 0.01,
        "backoff_max": 0.05,
    }
    values.update(overrides)
    return ClientConfig(**values)


@pytest.fixture()
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture()
async def cw(server: ThreadedServer, recorder: Recorder) -> AsyncIterator[ConnectWiseClient]:
    async with ConnectWiseClient(make_config(server.url), transport=recorder) as client:
        yield client


def raw_get(server: ThreadedServer, path: str) -> httpx.Response:
    """What the simulator answers a correct raw request (to compare forwarded messages with)."""
    headers = {"Authorization": CREDENTIALS.basic_authorization(), "clientId": CREDENTIALS.client_id}
    return httpx.get(f"{server.url}/v2025_1/apis/3.0/{path}", headers=headers)


# -- addressing and authentication ----------------------------------------------------------------


async def test_codebase_is_discovered_once_and_used() -> None:
    other = create_connectwise_simulator(seed=2, scale=0.1, credentials=CREDENTIALS, codebase="v2031_2/")
    recorder = Recorder()
    with ThreadedServer(other.app) as running:
        async with ConnectWiseClient(make_config(running.url), transport=recorder) as client:
            assert await client.codebase() == "v2031_2/"
            await client.count("company/companies")
            await client.company(250)
            assert await client.base_url() == f"{running.url}/v2031_2/apis/3.0/"
    discovery = [r for r in recorder.requests if r.url.path.startswith("/login/companyinfo/")]
    assert [r.url.path for r in discovery] == ["/login/companyinfo/optima"]
    assert "authorization" not in discovery[0].headers
    api_paths = [r.url.path for r in recorder.api_requests()]
    assert api_paths == ["/v2031_2/apis/3.0/company/companies/count", "/v2031_2/apis/3.0/company/companies/250"]


async def test_configured_codebase_skips_discovery(server: ThreadedServer) -> None:
    recorder = Recorder()
    config = make_config(server.url, codebase="v4_6_release")
    async with ConnectWiseClient(config, transport=recorder) as client:
        company = await client.company(250)
    assert company.id == 250
    assert [r.url.path for r in recorder.requests] == ["/v4_6_release/apis/3.0/company/companies/250"]


async def test_unknown_company_id_is_a_configuration_error(server: ThreadedServer) -> None:
    async with ConnectWiseClient(make_config(server.url, company_id="nobody")) as client:
        with pytest.raises(ConnectWiseMisconfigured) as info:
            await client.company(250)
    assert info.value.status == 502 and info.value.error == "ConnectWiseMisconfigured"


async def test_auth_headers_are_sent_and_accepted(cw: ConnectWiseClient, recorder: Recorder) -> None:
    member = await cw.get("system/members/101", Member)
    assert member.identifier == "jroberts"
    sent = recorder.api_requests()[0].headers
    assert sent["authorization"] == CREDENTIALS.basic_authorization()
    assert sent["clientid"] == CREDENTIALS.client_id
    assert sent["accept"] == "application/vnd.connectwise.com+json; version=2025.1"
    assert sent["content-type"] == "application/json"
    assert recorder.statuses[-1] == 200


async def test_rejected_credentials_are_a_502_without_secrets(
    server: ThreadedServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder()
    config = make_config(server.url, private_key="Wrong-Secret-Key-42")
    async with ConnectWiseClient(config, transport=recorder) as client:
        with pytest.raises(ConnectWiseAuthFailed) as info:
            await client.company(250)
    error = info.value
    assert (error.status, error.error, error.cw_status, error.code) == (
        502,
        "ConnectWiseAuthFailed",
        401,
        "Unauthorized",
    )
    assert len(recorder.api_requests()) == 1  # a 401 is not retried
    authorization = recorder.api_requests()[0].headers["authorization"]
    for text in (error.message, str(error), repr(error), str(error.body()), repr(client), caplog.text):
        assert "Wrong-Secret-Key-42" not in text
        assert authorization not in text and authorization.split()[1] not in text


async def test_connection_refused_is_unavailable_after_retries() -> None:
    recorder = Recorder()
    config = make_config(f"http://127.0.0.1:{free_port()}", codebase="v2025_1/", max_retries=2)
    async with ConnectWiseClient(config, transport=recorder) as client:
        with pytest.raises(ConnectWiseUnavailable) as info:
            await client.company(250)
    assert (info.value.status, info.value.error) == (502, "ConnectWiseUnavailable")
    assert len(recorder.requests) == 3


# -- listing --------------------------------------------------------------------------------------


async def test_navigable_paging_follows_link_headers(cw: ConnectWiseClient, recorder: Recorder) -> None:
    total = await cw.count("company/companies")
    assert total > 100
    companies = await cw.list_all("company/companies", Company, page_size=7, forward_only=False)
    ids = [c.id for c in companies]
    assert len(ids) == total == len(set(ids))
    pages = recorder.api_requests()[1:]
    assert len(pages) == math.ceil(total / 7)
    assert [r.url.params["page"] for r in pages] == [str(n) for n in range(1, len(pages) + 1)]
    assert all(r.url.params["pageSize"] == "7" and "pagination-type" not in r.headers for r in pages)


async def test_forward_only_paging_is_the_default_without_order_by(cw: ConnectWiseClient, recorder: Recorder) -> None:
    page_sizes = [len(page) async for page in cw.pages("company/companies", Company, page_size=9)]
    requests = recorder.api_requests()
    assert all(r.headers["pagination-type"] == "forward-only" for r in requests)
    assert "pageId" not in requests[0].url.params and "page" not in requests[0].url.params
    assert len(requests) == len(page_sizes) > 10
    assert page_sizes[:-1] == [9] * (len(page_sizes) - 1)
    forward = await cw.list_all("company/companies", Company, page_size=9)
    navigable = await cw.list_all("company/companies", Company, page_size=250, forward_only=False)
    assert [c.id for c in forward] == [c.id for c in navigable] == sorted(c.id or 0 for c in navigable)
    # each next page starts after the last id of the previous one
    ids = [c.id for c in forward]
    assert [r.url.params.get("pageId") for r in requests[1:]] == [str(ids[9 * n - 1]) for n in range(1, len(requests))]


async def test_order_by_uses_numbered_pages(cw: ConnectWiseClient, recorder: Recorder) -> None:
    companies = await cw.list_all("company/companies", Company, order_by="name desc", page_size=40)
    names = [c.name or "" for c in companies]
    assert names == sorted(names, key=str.casefold, reverse=True)
    assert all(
        "pagination-type" not in r.headers and r.url.params["orderBy"] == "name desc" for r in recorder.api_requests()
    )
    with pytest.raises(ValueError):
        await cw.list_all("company/companies", Company, order_by="name", forward_only=True)
    with pytest.raises(ValueError):
        await cw.list_all("company/companies", Company, order_by="name; drop")


async def test_falls_back_to_numbered_pages_when_forward_only_is_refused(
    cw: ConnectWiseClient, recorder: Recorder
) -> None:
    # the simulator refuses forward-only paging together with orderBy, as ConnectWise does
    first = await cw.list_all("company/companies", Company, params={"orderBy": "name desc"}, page_size=50)
    names = [c.name or "" for c in first]
    assert len(names) == await cw.count("company/companies")
    assert names == sorted(names, key=str.casefold, reverse=True)
    requests = recorder.api_requests()
    assert requests[0].headers.get("pagination-type") == "forward-only" and recorder.statuses[1] == 400
    assert all("pagination-type" not in r.headers for r in requests[1:])
    recorder.requests.clear()
    await cw.list_all("company/companies", Company, params={"orderBy": "name desc"}, page_size=50)
    assert all("pagination-type" not in r.headers for r in recorder.api_requests())  # remembered
    with pytest.raises(ValueError):
        await cw.list_all("company/companies", Company, params={"Conditions": "id > 0"})


async def test_fields_and_limit(cw: ConnectWiseClient, recorder: Recorder) -> None:
    rows = await cw.list_raw("company/companies", fields=["id", "name"], limit=5)
    assert len(rows) == 5 and all(set(row) == {"id", "name"} for row in rows)
    assert len(recorder.api_requests()) == 1


async def test_count_honours_conditions(cw: ConnectWiseClient) -> None:
    active = C.field("status/name") == "Active"
    total = await cw.count("company/companies")
    matching = await cw.count("company/companies", conditions=active)
    listed = await cw.list_all("company/companies", Company, conditions=active)
    assert 0 < matching < total
    assert matching == len(listed) and all(c.status and c.status.name == "Active" for c in listed)


async def test_quotes_and_backslashes_round_trip(cw: ConnectWiseClient, sim: ConnectWiseSimulator) -> None:
    tricky = 'Bob "The \\ Builder" O\'Neil'
    await sim.touch("company", 260, name=tricky)
    found = await cw.list_all("company/companies", Company, conditions=C.field("name") == tricky)
    assert [(c.id, c.name) for c in found] == [(260, tricky)]
    prefix = await cw.list_all("company/companies", Company, conditions=C.field("name").like('Bob "The \\*'))
    assert [c.id for c in prefix] == [260]
    # a value crafted to break out of the string literal matches nothing instead of everything
    hostile = 'x" OR name like "*'
    assert await cw.list_all("company/companies", Company, conditions=C.field("name") == hostile) == []


async def test_long_conditions_use_post_search(cw: ConnectWiseClient, recorder: Recorder) -> None:
    everyone = await cw.list_all("company/companies", Company, fields=["id"])
    wanted = sorted(c.id for c in everyone if c.id and c.id % 3 == 0)
    padding = list(range(100_000, 100_400))
    conditions = C.field("id").in_([*wanted, *padding])
    assert len(str(conditions)) > 2000
    recorder.requests.clear()
    found = await cw.list_all("company/companies", Company, conditions=conditions, page_size=10)
    assert sorted(c.id for c in found) == wanted
    searches = recorder.api_requests()
    assert len(searches) == math.ceil(len(wanted) / 10)
    assert all(r.method == "POST" and r.url.path.endswith("/company/companies/search") for r in searches)
    assert all("conditions" not in r.url.params for r in searches)
    assert msgspec.json.decode(searches[0].content) == {"conditions": str(conditions)}


async def test_incremental_companies_by_last_updated(cw: ConnectWiseClient, sim: ConnectWiseSimulator) -> None:
    before = await cw.list_all("company/companies", Company)
    newest = max(c.info.last_updated for c in before if c.info and c.info.last_updated)
    assert [c async for c in cw.iterate_companies(updated_since=newest)] == []
    gap = (newest - sim.store.now()).total_seconds() + 1.0  # the simulator's clock has second precision
    if gap > 0:
        await asyncio.sleep(gap)
    await sim.touch("company", 262, phoneNumber="2705550000")
    changed = [c async for c in cw.iterate_companies(updated_since=newest)]
    assert [(c.id, c.phone_number) for c in changed] == [(262, "2705550000")]
    assert changed[0].info is not None and isinstance(changed[0].info.last_updated, datetime)


# -- records --------------------------------------------------------------------------------------


async def test_not_found_is_forwarded(cw: ConnectWiseClient, server: ThreadedServer, recorder: Recorder) -> None:
    with pytest.raises(ConnectWiseNotFound) as info:
        await cw.company(999_999)
    error = info.value
    assert (error.status, error.error, error.code) == (404, "ConnectWiseNotFound", "NotFound")
    assert error.message == raw_get(server, "company/companies/999999").json()["message"]
    assert error.body()["successful"] is False
    assert len(recorder.api_requests()) == 1


async def test_invalid_request_is_forwarded_as_400(cw: ConnectWiseClient, recorder: Recorder) -> None:
    with pytest.raises(ConnectWiseRequestRejected) as info:
        await cw.list_all("company/companies", Company, conditions=C.field("noSuchField") == 1)
    error = info.value
    assert (error.status, error.error, error.code) == (400, "ConnectWiseInvalidObject", "InvalidObject")
    assert "noSuchField" in error.message and error.cw_errors
    assert len(recorder.api_requests()) == 1


async def test_get_raw_keeps_the_record_as_sent(cw: ConnectWiseClient, server: ThreadedServer) -> None:
    raw = await cw.get_raw("company/companies/250")
    assert raw == raw_get(server, "company/companies/250").json() | {"_info": raw["_info"]}
    assert "_info" in raw and raw["id"] == 250


async def test_json_patch_update(cw: ConnectWiseClient, sim: ConnectWiseSimulator, recorder: Recorder) -> None:
    members = await cw.members()
    opportunity = await cw.opportunity(OPPORTUNITY)
    rep = next(m for m in members if opportunity.primary_sales_rep and m.id != opportunity.primary_sales_rep.id)
    updated = await cw.update_opportunity(
        OPPORTUNITY, replace(name="Patched by client", primarySalesRep=Reference(id=rep.id), customerPO="PO-77")
    )
    assert (updated.name, updated.customer_po) == ("Patched by client", "PO-77")
    assert updated.primary_sales_rep is not None and updated.primary_sales_rep.id == rep.id
    stored = sim.get("opportunity", OPPORTUNITY)
    assert stored is not None and stored["name"] == "Patched by client"
    sent = recorder.api_requests()[-1]
    assert sent.method == "PATCH"
    assert msgspec.json.decode(sent.content) == [
        {"op": "replace", "path": "name", "value": "Patched by client"},
        {"op": "replace", "path": "primarySalesRep", "value": {"id": rep.id}},
        {"op": "replace", "path": "customerPO", "value": "PO-77"},
    ]


async def test_create_put_and_delete(cw: ConnectWiseClient, recorder: Recorder) -> None:
    path = f"sales/opportunities/{OPPORTUNITY}/notes"
    note = await cw.create(path, Note(text="Created by the client test"), Note)
    assert note.id is not None and note.text == "Created by the client test"
    assert recorder.statuses[-1] == 201
    replaced = await cw.put(f"{path}/{note.id}", {"text": "Replaced", "flagged": True}, Note)
    assert (replaced.text, replaced.flagged, recorder.statuses[-1]) == ("Replaced", True, 200)
    await cw.delete(f"{path}/{note.id}")
    assert recorder.statuses[-1] == 204
    with pytest.raises(ConnectWiseNotFound):
        await cw.get(f"{path}/{note.id}", Note)
    with pytest.raises(ConnectWiseNotFound):
        await cw.delete(f"{path}/{note.id}")


async def test_create_rejected_by_validation(cw: ConnectWiseClient) -> None:
    with pytest.raises(ConnectWiseRequestRejected) as info:
        await cw.create("company/companies", Company(name="No identifier"))
    assert info.value.status == 400 and info.value.error.startswith("ConnectWise")
    assert info.value.cw_errors


async def test_callbacks_register_list_delete(cw: ConnectWiseClient) -> None:
    url = "http://127.0.0.1:9/never-called"
    created = await cw.register_callback(url, type="company", level="owner", object_id=1, description="client test")
    try:
        assert created.id is not None and created.url == url
        assert any(cb.id == created.id for cb in await cw.callbacks())
        again = await cw.ensure_callback(url, type="company", level="owner", object_id=1)
        assert again.id == created.id
        assert len([cb for cb in await cw.callbacks() if cb.url == url]) == 1
    finally:
        await cw.delete_callback(created.id or 0)
    assert all(cb.id != created.id for cb in await cw.callbacks())


async def test_plugin_helpers_return_typed_filtered_records(cw: ConnectWiseClient) -> None:
    active = await cw.members()
    everyone = await cw.members(include_inactive=True)
    assert 0 < len(active) < len(everyone) and not any(m.inactive_flag for m in active)
    contact = (await cw.list_all("company/contacts", Contact, limit=1))[0]
    assert contact.company is not None and contact.company.id is not None
    company_id = contact.company.id
    contacts = await cw.company_contacts(company_id)
    assert contacts and all(c.company and c.company.id == company_id for c in contacts)
    assert any(c.email for c in contacts)
    sites = await cw.company_sites(company_id)
    assert sites and all(s.company is None or s.company.id == company_id for s in sites)
    configurations = await cw.company_configurations(company_id)
    assert all(c.company and c.company.id == company_id for c in configurations)
    forecast = await cw.opportunity_forecast(OPPORTUNITY)
    assert forecast.forecast_items and all(
        i.opportunity and i.opportunity.id == OPPORTUNITY for i in forecast.forecast_items
    )
    products = await cw.opportunity_products(OPPORTUNITY)
    assert products and all(p.opportunity and p.opportunity.id == OPPORTUNITY for p in products)
    assert {p.forecast_detail_id for p in products} <= {i.id for i in forecast.forecast_items}
    assert all(n.opportunity_id == OPPORTUNITY for n in await cw.opportunity_notes(OPPORTUNITY))
    activities = await cw.opportunity_activities(OPPORTUNITY)
    assert all(a.opportunity and a.opportunity.id == OPPORTUNITY for a in activities)
    item = await cw.catalog_item(products[0].catalog_item.id)  # type: ignore[union-attr]
    assert item.identifier
    inventory = await cw.catalog_inventory(item.id or 0)
    assert all(i.catalog_item and i.catalog_item.id == item.id for i in inventory)
    assert await cw.opportunity_statuses() and await cw.stages() and await cw.categories()


# -- resilience -----------------------------------------------------------------------------------


async def test_retry_after_is_honoured(server: ThreadedServer, sim: ConnectWiseSimulator) -> None:
    recorder = Recorder()
    async with ConnectWiseClient(make_config(server.url, backoff_max=5.0), transport=recorder) as client:
        await client.codebase()
        sim.faults.throttle(1, retry_after=1)
        started = time.monotonic()
        company = await client.company(250)
        waited = time.monotonic() - started
    assert company.id == 250
    assert recorder.statuses == [200, 429, 200]  # discovery, throttled, retried
    assert 0.95 <= waited < 3.0


async def test_retry_after_is_capped_by_backoff_max(server: ThreadedServer, sim: ConnectWiseSimulator) -> None:
    sim.faults.throttle(1, retry_after=30)
    async with ConnectWiseClient(make_config(server.url, backoff_max=0.3)) as client:
        started = time.monotonic()
        await client.company(250)
        waited = time.monotonic() - started
    assert 0.29 <= waited < 2.0


async def test_throttled_until_retries_run_out_is_a_503(cw: ConnectWiseClient, sim: ConnectWiseSimulator) -> None:
    sim.faults.throttle(10, retry_after=1)
    with pytest.raises(ConnectWiseThrottled) as info:
        await cw.company(250)
    assert (info.value.status, info.value.error, info.value.retry_after) == (503, "ConnectWiseThrottled", 1.0)
    assert sim.faults.injected["throttle"] == 4  # the first attempt and 3 retries


async def test_post_is_retried_after_429(cw: ConnectWiseClient, sim: ConnectWiseSimulator, recorder: Recorder) -> None:
    path = f"sales/opportunities/{OPPORTUNITY}/notes"
    before = await cw.count(path)
    sim.faults.throttle(1, retry_after=1)
    note = await cw.create(path, {"text": "after a 429"}, Note)
    assert note.text == "after a 429"
    assert recorder.statuses[-2:] == [429, 201]
    assert await cw.count(path) == before + 1


async def test_server_errors_are_retried(cw: ConnectWiseClient, sim: ConnectWiseSimulator, recorder: Recorder) -> None:
    await cw.codebase()
    sim.faults.fail(2)
    assert (await cw.company(250)).id == 250
    assert recorder.statuses[1:] == [500, 500, 200]


async def test_server_errors_give_up_with_502(
    cw: ConnectWiseClient, sim: ConnectWiseSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="optima_connectwise.client")
    sim.faults.fail(10)
    with pytest.raises(ConnectWiseUnavailable) as info:
        await cw.company(250)
    assert (info.value.status, info.value.error, info.value.cw_status) == (502, "ConnectWiseUnavailable", 500)
    assert sim.faults.injected["error"] == 4
    assert len([r for r in caplog.records if "retry" in r.getMessage()]) == 3
    assert CREDENTIALS.basic_authorization().split()[1] not in caplog.text


async def test_post_is_not_retried_after_a_server_error(
    cw: ConnectWiseClient, sim: ConnectWiseSimulator, recorder: Recorder
) -> None:
    path = f"sales/opportunities/{OPPORTUNITY}/notes"
    before = await cw.count(path)
    sim.faults.fail(1)
    with pytest.raises(ConnectWiseUnavailable):
        await cw.create(path, {"text": "never twice"})
    assert [r.method for r in recorder.api_requests()].count("POST") == 1
    assert await cw.count(path) == before


async def test_post_whose_answer_was_lost_is_not_resent(cw: ConnectWiseClient, recorder: Recorder) -> None:
    path = f"sales/opportunities/{OPPORTUNITY}/notes"
    before = await cw.count(path)
    recorder.lose_answer = lambda request: request.method == "POST"
    with pytest.raises(ConnectWiseUnavailable):
        await cw.create(path, {"text": "processed, answer lost"})
    assert [r.method for r in recorder.api_requests()].count("POST") == 1
    assert await cw.count(path) == before + 1  # created once, not duplicated


async def test_get_whose_answer_was_lost_is_retried(cw: ConnectWiseClient, recorder: Recorder) -> None:
    recorder.lose_answer = lambda request: "/company/companies/250" in request.url.path
    assert (await cw.company(250)).id == 250
    assert [r.url.path.endswith("/250") for r in recorder.api_requests()] == [True, True]


async def test_delete_retried_after_a_lost_answer_treats_404_as_done(cw: ConnectWiseClient, recorder: Recorder) -> None:
    path = f"sales/opportunities/{OPPORTUNITY}/notes"
    note = await cw.create(path, {"text": "to delete"}, Note)
    recorder.lose_answer = lambda request: request.method == "DELETE"
    await cw.delete(f"{path}/{note.id}")
    assert recorder.statuses[-2:] == [204, 404]
    with pytest.raises(ConnectWiseNotFound):
        await cw.get(f"{path}/{note.id}", Note)


async def test_timeout_is_a_504_after_one_retry(server: ThreadedServer, sim: ConnectWiseSimulator) -> None:
    async with ConnectWiseClient(make_config(server.url, timeout=0.3)) as client:
        await client.codebase()
        sim.faults.hang(5, calls=5)
        started = time.monotonic()
        with pytest.raises(ConnectWiseTimeout) as info:
            await client.company(250)
        elapsed = time.monotonic() - started
    assert (info.value.status, info.value.error) == (504, "ConnectWiseTimeout")
    assert sim.faults.injected["hang"] == 2
    assert 0.55 <= elapsed < 2.0


async def test_post_timeout_is_not_retried(server: ThreadedServer, sim: ConnectWiseSimulator) -> None:
    async with ConnectWiseClient(make_config(server.url, timeout=0.3)) as client:
        await client.codebase()
        sim.faults.hang(5, calls=5)
        with pytest.raises(ConnectWiseTimeout):
            await client.create(f"sales/opportunities/{OPPORTUNITY}/notes", {"text": "slow"})
    assert sim.faults.injected["hang"] == 1


async def test_malformed_body_is_a_clear_502(cw: ConnectWiseClient, sim: ConnectWiseSimulator) -> None:
    await cw.codebase()
    sim.faults.malform(1)
    result: Company | None = None
    with pytest.raises(ConnectWiseBadResponse) as info:
        result = await cw.company(250)
    assert result is None
    error = info.value
    assert (error.status, error.error, error.cw_status) == (502, "ConnectWiseBadResponse", 200)
    assert "not valid JSON" in error.message
    assert sim.faults.injected["malformed"] == 1  # not retried


async def test_malformed_page_returns_nothing_from_it(cw: ConnectWiseClient, sim: ConnectWiseSimulator) -> None:
    received: list[Company] = []
    listing = cw.iterate("company/companies", Company, page_size=20)
    received.append(await anext(listing))
    sim.faults.malform(1)
    with pytest.raises(ConnectWiseBadResponse):
        async for company in listing:
            received.append(company)
    assert len(received) == 20  # the first page only: nothing of the broken page leaks out
    with pytest.raises(ConnectWiseBadResponse):
        sim.faults.malform(1)
        result = await cw.list_all("company/companies", Company)
        received.extend(result)
    assert len(received) == 20


async def test_wrong_shape_is_a_bad_response(cw: ConnectWiseClient) -> None:
    with pytest.raises(ConnectWiseBadResponse) as info:
        await cw.get("company/companies", Company)  # a list where one record was expected
    assert "unexpected shape" in info.value.message
    with pytest.raises(ConnectWiseBadResponse):
        await cw.list_all("company/companies/250", Company)  # one record where a list was expected


async def test_concurrency_is_capped_per_client(server: ThreadedServer, sim: ConnectWiseSimulator) -> None:
    async def burst(limit: int) -> tuple[int, float]:
        recorder = Recorder()
        config = make_config(server.url, codebase="v2025_1/", max_concurrency=limit)
        async with ConnectWiseClient(config, transport=recorder) as client:
            started = time.monotonic()
            found = await asyncio.gather(*(client.company(250) for _ in range(6)))
            elapsed = time.monotonic() - started
        assert [c.id for c in found] == [250] * 6
        return recorder.peak, elapsed

    sim.faults.set(latency=0.2)
    capped_peak, capped_time = await burst(2)
    free_peak, free_time = await burst(6)
    assert capped_peak == 2 and capped_time >= 0.55  # three waves of two
    assert free_peak > 2 and free_time < capped_time
