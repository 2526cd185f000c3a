"""ConnectWise simulator: company info, authentication, headers, record shapes and deterministic seeding."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import httpx
import pytest
from optima_connectwise.simulator import SimulatorCredentials, create_connectwise_simulator
from optima_connectwise.simulator.credentials import (
    BAD_CLIENT_ID_MESSAGE,
    BAD_KEYS_MESSAGE,
    MISSING_AUTH_MESSAGE,
    MISSING_CLIENT_ID_MESSAGE,
)
from optima_connectwise.simulator.testing import RunningSimulator

CREDENTIALS = SimulatorCredentials(
    company_id="optima", public_key="pub", private_key="priv", client_id="00000000-0000-4000-8000-000000000001"
)


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    sim = create_connectwise_simulator(seed=1, scale=0.2, credentials=CREDENTIALS, codebase="v2025_1/")
    with RunningSimulator(sim) as server:
        yield server


@pytest.fixture()
def api(running: RunningSimulator) -> Iterator[httpx.Client]:
    with running.client() as client:
        yield client


def basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def test_company_info_needs_no_auth_and_names_the_codebase(running: RunningSimulator) -> None:
    response = httpx.get(f"{running.url}/login/companyinfo/optima")
    assert response.status_code == 200
    body = response.json()
    assert body["Codebase"] == "v2025_1/"
    assert body["CompanyID"] == "optima"
    assert body["IsCloud"] is True
    assert set(body) >= {"CompanyName", "Codebase", "VersionCode", "VersionNumber", "CompanyID", "IsCloud"}
    assert httpx.get(f"{running.url}/login/companyinfo/OPTIMA").status_code == 200
    unknown = httpx.get(f"{running.url}/login/companyinfo/someoneelse")
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "NotFound"


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, MISSING_AUTH_MESSAGE),
        ({"Authorization": "Bearer abc"}, MISSING_AUTH_MESSAGE),
        ({"Authorization": "Basic not-base64!!"}, MISSING_AUTH_MESSAGE),
        ({"Authorization": basic("optima+pub", "wrong")}, BAD_KEYS_MESSAGE),
        ({"Authorization": basic("optima+other", "priv")}, BAD_KEYS_MESSAGE),
        ({"Authorization": basic("elsewhere+pub", "priv")}, BAD_KEYS_MESSAGE),
        ({"Authorization": basic("pub", "priv")}, BAD_KEYS_MESSAGE),
        ({"Authorization": basic("optima+pub", "priv")}, MISSING_CLIENT_ID_MESSAGE),
        ({"Authorization": basic("optima+pub", "priv"), "clientId": "not-our-integration"}, BAD_CLIENT_ID_MESSAGE),
    ],
)
def test_authentication_failures_answer_connectwise_401s(
    running: RunningSimulator, headers: dict[str, str], message: str
) -> None:
    response = httpx.get(f"{running.api_url}/company/companies", headers=headers)
    assert response.status_code == 401
    assert response.json() == {"code": "Unauthorized", "message": message, "errors": None}
    assert response.headers["api-current-version"] == "2025.1"


def test_correct_credentials_pass_and_company_id_is_case_insensitive(running: RunningSimulator) -> None:
    headers = {
        "Authorization": basic("OPTIMA+pub", "priv"),
        "clientId": CREDENTIALS.client_id.upper(),
    }
    response = httpx.get(f"{running.api_url}/system/members", headers=headers)
    assert response.status_code == 200
    assert response.headers["api-current-version"] == "2025.1"
    assert response.headers["content-type"].startswith("application/json")


def test_accept_header_versions(running: RunningSimulator, api: httpx.Client) -> None:
    assert (
        api.get(
            "/system/members", headers={"Accept": "application/vnd.connectwise.com+json; version=2025.1"}
        ).status_code
        == 200
    )
    assert (
        api.get(
            "/system/members", headers={"Accept": "application/vnd.connectwise.com+json; version=2022.2"}
        ).status_code
        == 200
    )
    assert api.get("/system/members", headers={"Accept": "application/json"}).status_code == 200
    newer = api.get("/system/members", headers={"Accept": "application/vnd.connectwise.com+json; version=2099.1"})
    assert newer.status_code == 400


def test_legacy_codebase_and_unknown_routes(running: RunningSimulator, api: httpx.Client) -> None:
    legacy = httpx.get(f"{running.url}/v4_6_release/apis/3.0/system/members", headers=running.headers())
    assert legacy.status_code == 200
    assert httpx.get(f"{running.url}/v2019_1/apis/3.0/system/members", headers=running.headers()).status_code == 404
    missing = api.get("/no/such/thing")
    assert missing.status_code == 404
    assert missing.json()["code"] == "NotFound"
    not_allowed = api.delete("/company/companies")
    assert not_allowed.status_code == 405
    assert api.post("/procurement/catalog/3000/inventory", json={}).status_code == 405


def test_unknown_record_is_connectwise_not_found(api: httpx.Client) -> None:
    response = api.get("/company/companies/999999")
    assert response.status_code == 404
    body = response.json()
    assert body["code"] == "NotFound"
    assert "recordId 999999 not found" in body["message"]
    assert body["errors"] is None
    assert api.get("/sales/opportunities/999999/notes").status_code == 404


def test_member_shapes_include_real_world_gaps(api: httpx.Client) -> None:
    members = api.get("/system/members", params={"pageSize": 1000}).json()
    assert len(members) == 8
    for member in members:
        assert {"id", "identifier", "firstName", "officeEmail", "inactiveFlag", "_info"} <= set(member)
        assert "lastUpdated" in member["_info"]
    assert sum(1 for member in members if "lastName" not in member) == 2
    assert members[0]["identifier"] == "jroberts"


def test_company_site_contact_and_catalog_shapes(api: httpx.Client) -> None:
    company = api.get("/company/companies/256").json()
    assert company["identifier"] == "AcmeCorp"
    for field in ("name", "status", "addressLine1", "city", "state", "zip", "country", "phoneNumber", "site"):
        assert field in company
    assert company["country"]["name"] == "United States"
    assert company["status"]["_info"]
    contact_ref = company["defaultContact"]
    assert set(contact_ref) >= {"id", "name", "_info"}
    assert contact_ref["_info"]["contact_href"].endswith(f"/company/contacts/{contact_ref['id']}")
    assert contact_ref["_info"]["contact_href"].startswith("http://127.0.0.1:")
    sites = api.get("/company/companies/256/sites").json()
    main = next(site for site in sites if site["id"] == company["site"]["id"])
    for flag in ("primaryAddressFlag", "defaultShippingFlag", "defaultBillingFlag", "defaultMailingFlag"):
        assert main[flag] is True
    assert "phoneNumber" in main
    contact = api.get(f"/company/contacts/{contact_ref['id']}").json()
    kinds = {item["type"]["name"]: item for item in contact["communicationItems"]}
    assert kinds["Email"]["communicationType"] == "Email" and "@" in kinds["Email"]["value"]
    assert kinds["Direct"]["communicationType"] == "Phone"
    assert contact["company"]["id"] == 256
    assert contact["defaultFlag"] is True
    item = api.get("/procurement/catalog", params={"conditions": 'productClass = "Inventory"', "pageSize": 1}).json()[0]
    for field in ("identifier", "description", "category", "subcategory", "manufacturer", "price", "cost"):
        assert field in item
    inventory = api.get(f"/procurement/catalog/{item['id']}/inventory").json()
    assert inventory and {"onHand", "warehouse", "warehouseBin"} <= set(inventory[0])
    labor = api.get("/procurement/catalog/3756").json()
    assert labor["identifier"] == "Labor & Installation - Field"


def test_opportunity_and_subresource_shapes(api: httpx.Client) -> None:
    opportunity = api.get("/sales/opportunities/5000").json()
    for field in ("status", "stage", "type", "company", "contact", "primarySalesRep", "expectedCloseDate"):
        assert field in opportunity, field
    assert opportunity["expectedCloseDate"].endswith("T00:00:00Z")
    forecast = api.get("/sales/opportunities/5000/forecast").json()
    assert forecast["forecastItems"]
    item = forecast["forecastItems"][0]
    assert item["opportunity"]["id"] == 5000
    assert item["margin"] == pytest.approx(item["revenue"] - item["cost"], abs=0.01)
    assert api.get(f"/sales/opportunities/5000/forecast/{item['id']}").json() == item
    assert forecast["forecastRevenueTotals"]["revenue"] == pytest.approx(
        sum(entry["revenue"] for entry in forecast["forecastItems"]), abs=0.01
    )
    statuses = {
        status["id"]: status for status in api.get("/sales/opportunities/statuses", params={"pageSize": 100}).json()
    }
    assert statuses[29]["wonFlag"] is True and statuses[53]["lostFlag"] is True
    assert statuses[37]["defaultFlag"] is True
    stages = [stage["name"] for stage in api.get("/sales/stages").json()]
    assert "Optima" in stages
    products = api.get("/procurement/products", params={"conditions": "opportunity/id = 5000"}).json()
    linked = {product["forecastDetailId"] for product in products}
    assert linked <= {entry["id"] for entry in forecast["forecastItems"]}
    activity = api.get("/sales/activities", params={"pageSize": 1}).json()[0]
    assert {"name", "assignTo", "status", "opportunity"} <= set(activity)


def test_seeding_is_deterministic_and_fast() -> None:
    started = time.perf_counter()
    first = create_connectwise_simulator(seed=7, scale=1.0)
    elapsed = time.perf_counter() - started
    second = create_connectwise_simulator(seed=7, scale=1.0)
    other = create_connectwise_simulator(seed=8, scale=1.0)
    assert elapsed < 1.0
    for name in ("members", "companies", "contacts", "opportunities", "catalog", "forecast_items", "products"):
        assert first.store.records(name) == second.store.records(name), name
    assert first.store.records("companies") != other.store.records("companies")
    assert first.store.count("members") == 40
    members = first.store.records("members")
    assert sum(1 for member in members if member["inactiveFlag"]) >= 2
    assert sum(1 for member in members if "lastName" not in member) == 2
    assert first.store.count("companies") == 150
    assert first.store.count("contacts") == 600
    assert first.store.count("configurations") == 300
    assert first.store.count("opportunities") == 250
    assert 800 <= first.store.count("catalog") <= 803
    small = create_connectwise_simulator(seed=7, scale=0.1)
    assert small.store.count("companies") < 20 and small.store.count("members") >= 8
