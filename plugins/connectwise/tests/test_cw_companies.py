"""Company sync, enrichment of the core fetch route, configurations and sites, against the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from cw_harness import CWEnv, cw_env, run_job
from optima_connectwise.client import Company, ConnectWiseBadResponse, Info
from optima_connectwise.jobs import COMPANIES_JOB
from optima_connectwise.services import companies as svc
from sqlalchemy import select

from optima_platform.core.models import Company as CompanyRow
from optima_platform.db.base import utcnow
from optima_platform.testing.fixtures import DatabaseFactory
from optima_platform.testing.matrix import check_auth_matrix

ACME = 256  # seeded with a default contact, contacts, configurations and a site
TTL = 2


@pytest.fixture(scope="module")
async def env(databases: DatabaseFactory) -> AsyncIterator[CWEnv]:
    async with cw_env(databases, seed=3, scale=0.2, enrichment_ttl=TTL) as running:
        status = await running.live.host.scheduler.run_once(COMPANIES_JOB)
        assert status.last_outcome == "success", status.last_error
        yield running


@pytest.fixture(autouse=True)
def no_faults(env: CWEnv) -> None:
    env.sim.faults.reset()


async def rows(env: CWEnv) -> dict[int, CompanyRow]:
    async with env.live.host.db.session() as session:
        found = (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id.is_not(None)))).scalars()
        return {row.cw_company_id: row for row in found if row.cw_company_id is not None}


async def local_id(env: CWEnv, cw_id: int) -> str:
    return (await rows(env))[cw_id].id


async def fetch(env: CWEnv, identifier: str, *nodes: str, **params: str) -> Any:
    headers = await env.live.headers("company.fetch", "obj.company.*", *nodes)
    return await env.live.client.get(f"/v1/company/companies/{identifier}", params=params, headers=headers)


async def test_the_first_run_is_a_full_sync(env: CWEnv) -> None:
    synced = await rows(env)
    records = {c["id"]: c for c in env.sim.store.records("companies")}
    assert set(synced) == set(records)
    for cw_id, row in synced.items():
        assert row.name == records[cw_id]["name"] and row.cw_identifier == records[cw_id]["identifier"]
        assert row.cw_data["lastUpdated"].startswith(records[cw_id]["_info"]["lastUpdated"].removesuffix("Z"))
        assert row.cw_data["deleted"] is False
    headers = await env.live.headers("company.fetch.many", "obj.company.*")
    listed = (await env.live.client.get("/v1/company/companies", params={"rpp": 200}, headers=headers)).json()
    assert listed["pagination"]["totalRecords"] == len(records)
    acme = next(c for c in listed["data"] if c["cw_CompanyId"] == ACME)
    assert acme["cw_Identifier"] == records[ACME]["identifier"] and acme["name"] == records[ACME]["name"]
    assert await svc.read_watermark(env.live.host) is not None


async def test_incremental_sync_reads_only_changes(env: CWEnv) -> None:
    quiet = await svc.sync_companies(env.live.host)
    assert quiet.mode == "incremental" and quiet.created == 0 and quiet.updated == 0
    assert quiet.seen < len(list(env.sim.store.records("companies")))

    await env.sim.touch("company", 257, name="Valley Logistics Group")
    async with env.running.async_client() as cw:
        created = await cw.post("/company/companies", json={"identifier": "FreshStart", "name": "Fresh Start LLC"})
    assert created.status_code == 201
    new_id = created.json()["id"]

    result = await svc.sync_companies(env.live.host)
    assert result.mode == "incremental" and result.created == 1 and result.updated == 1
    assert result.seen <= quiet.seen + 2
    synced = await rows(env)
    assert synced[257].name == "Valley Logistics Group"
    assert synced[new_id].name == "Fresh Start LLC" and synced[new_id].cw_identifier == "FreshStart"
    response = await fetch(env, synced[257].id)
    assert response.json()["data"]["name"] == "Valley Logistics Group"


async def test_the_job_runs_the_sync(env: CWEnv) -> None:
    await env.sim.touch("company", 258, identifier="Renamed258")
    await run_job(env, COMPANIES_JOB)
    assert (await rows(env))[258].cw_identifier == "Renamed258"


async def test_a_lost_watermark_means_a_full_run_without_duplicates(env: CWEnv) -> None:
    before = await rows(env)
    await env.live.host.store("connectwise").delete(svc.WATERMARK_KEY)
    result = await svc.sync_companies(env.live.host)
    assert result.mode == "full" and result.created == 0
    assert result.seen == len(list(env.sim.store.records("companies")))
    after = await rows(env)
    assert {k: v.id for k, v in after.items()} == {k: v.id for k, v in before.items()}


async def test_a_failing_sync_keeps_data_and_watermark(env: CWEnv) -> None:
    before = {k: (v.name, v.cw_data) for k, v in (await rows(env)).items()}
    watermark = await svc.read_watermark(env.live.host)
    await env.sim.touch("company", 259, name="Never Seen Name")
    env.sim.faults.set(error_rate=1.0)
    with pytest.raises(Exception, match="ConnectWise is unavailable"):
        await svc.sync_companies(env.live.host)
    env.sim.faults.reset()
    assert {k: (v.name, v.cw_data) for k, v in (await rows(env)).items()} == before
    assert await svc.read_watermark(env.live.host) == watermark
    await svc.sync_companies(env.live.host)
    assert (await rows(env))[259].name == "Never Seen Name"


async def test_an_older_concurrent_read_never_overwrites_a_newer_row(env: CWEnv) -> None:
    row = (await rows(env))[260]
    stored = svc._parse(row.cw_data["lastUpdated"])
    assert stored is not None
    newer = Company(id=260, identifier=row.cw_identifier, name="Newer Name", info=Info(last_updated=stored))
    assert await svc.upsert_companies(env.live.host, [newer]) == (0, 1)  # written just now
    stale = Company(id=260, identifier="Stale", name="Stale Name", info=Info(last_updated=stored - timedelta(days=1)))
    assert await svc.upsert_companies(env.live.host, [stale]) == (0, 0)
    assert (await rows(env))[260].name == "Newer Name"


async def pin_stale_copy(env: CWEnv, cw_id: int, name: str) -> None:
    """A local copy "newer" than ConnectWise's (a re-pointed plugin, a restarted demo), written an hour ago."""
    async with env.live.host.db.session() as session, session.begin():
        row = (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id == cw_id))).scalar_one()
        row.name = name
        row.cw_data = {**row.cw_data, "lastUpdated": "2099-01-01T00:00:00.000Z"}
        row.updated_at = utcnow() - timedelta(hours=1)


async def test_a_stale_local_copy_is_not_pinned_by_the_guard(env: CWEnv) -> None:
    records = {c["id"]: c for c in env.sim.store.records("companies")}
    await pin_stale_copy(env, 268, "Acme Renamed")
    await pin_stale_copy(env, 269, "Acme Renamed Too")
    assert await svc.refresh_company(env.live.host, 268) == "updated"  # what a callback does
    assert (await rows(env))[268].name == records[268]["name"]
    await env.live.host.store("connectwise").delete(svc.WATERMARK_KEY)
    result = await svc.sync_companies(env.live.host)
    assert result.mode == "full"
    synced = await rows(env)
    assert synced[269].name == records[269]["name"]
    assert synced[269].cw_data["lastUpdated"].startswith(records[269]["_info"]["lastUpdated"].removesuffix("Z"))


async def test_a_number_in_a_text_field_is_read_as_text(env: CWEnv) -> None:
    await svc.sync_companies(env.live.host)
    await env.sim.touch("company", 253, zip=12345, name="Numeric Zip Inc")
    result = await svc.sync_companies(env.live.host)
    assert result.skipped == 0 and result.updated == 1
    assert (await rows(env))[253].name == "Numeric Zip Inc"
    await svc.drop_enrichment(env.live.host, 253)
    response = await fetch(env, await local_id(env, 253), "company.fetch.address", includeAddress="true")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["cw_Data"]["address"]["zip"] == "12345"


async def test_an_unreadable_record_is_skipped_and_read_again(env: CWEnv, caplog: pytest.LogCaptureFixture) -> None:
    await svc.sync_companies(env.live.host)
    before = (await rows(env))[264]
    broken = await env.sim.touch("company", 264, city={"not": "text"}, name="Unreadable Ltd")
    await env.sim.touch("company", 265, name="Readable After It")
    with caplog.at_level("WARNING"):
        result = await svc.sync_companies(env.live.host)
    assert result.skipped == 1 and result.updated >= 1
    assert any("id=264" in message for message in caplog.messages)
    synced = await rows(env)
    assert synced[265].name == "Readable After It"
    assert (synced[264].name, synced[264].cw_data) == (before.name, before.cw_data)
    watermark = await svc.read_watermark(env.live.host)
    stamp = svc._parse(broken["_info"]["lastUpdated"])
    assert watermark is not None and stamp is not None and watermark <= stamp
    again = await svc.sync_companies(env.live.host)
    assert again.skipped == 1  # retried every run until the record changes
    await env.sim.touch("company", 264, city="Springfield")
    fixed = await svc.sync_companies(env.live.host)
    assert fixed.skipped == 0 and (await rows(env))[264].name == "Unreadable Ltd"


async def test_a_body_that_is_not_json_fails_the_sync_and_writes_nothing(env: CWEnv) -> None:
    await svc.sync_companies(env.live.host)
    before = {k: (v.name, v.cw_data) for k, v in (await rows(env)).items()}
    watermark = await svc.read_watermark(env.live.host)
    await env.sim.touch("company", 266, name="Behind Broken JSON")
    env.sim.faults.set(malformed=1, path_contains="company/companies")
    with pytest.raises(ConnectWiseBadResponse, match="not valid JSON"):
        await svc.sync_companies(env.live.host)
    assert {k: (v.name, v.cw_data) for k, v in (await rows(env)).items()} == before
    assert await svc.read_watermark(env.live.host) == watermark


async def test_concurrent_writers_of_a_new_company_make_one_row(env: CWEnv) -> None:
    stamp = svc._parse("2026-01-01T00:00:00Z")
    fresh = Company(id=9_000_001, identifier="Racer", name="Race Condition Inc", info=Info(last_updated=stamp))
    results = await asyncio.gather(*(svc.upsert_companies(env.live.host, [fresh]) for _ in range(4)))
    assert sum(created for created, _ in results) == 1
    async with env.live.host.db.session() as session:
        found = (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id == 9_000_001))).scalars()
        assert [row.name for row in found] == ["Race Condition Inc"]


async def test_without_include_nothing_is_fetched(env: CWEnv) -> None:
    env.sim.faults.set(error_rate=1.0)
    response = await fetch(env, await local_id(env, ACME))
    assert response.status_code == 200
    assert response.json()["data"]["cw_Data"] == {}


async def test_include_address(env: CWEnv) -> None:
    record = env.sim.get("company", ACME)
    assert record is not None
    response = await fetch(env, await local_id(env, ACME), "company.fetch.address", includeAddress="true")
    assert response.status_code == 200, response.text
    data = response.json()["data"]
    assert data["cw_CompanyId"] == ACME
    assert data["cw_Data"] == {
        "address": {
            "line1": record.get("addressLine1"),
            "line2": record.get("addressLine2"),
            "city": record.get("city"),
            "state": record.get("state"),
            "zip": record.get("zip"),
            "country": record["country"]["name"],
        }
    }
    assert data["cw_Data"]["address"]["line1"] and data["cw_Data"]["address"]["country"] == "United States"
    denied = await fetch(env, await local_id(env, ACME), includeAddress="true")
    assert denied.status_code == 403 and denied.json()["missing"] == ["company.fetch.address"]


def expected_contact(contact: dict[str, Any]) -> dict[str, Any]:
    def communication(kind: str) -> Any:
        items = [i for i in contact.get("communicationItems", []) if i.get("communicationType") == kind]
        chosen = next((i for i in items if i.get("defaultFlag")), items[0] if items else None)
        return chosen["value"] if chosen else None

    return {
        "firstName": contact.get("firstName"),
        "lastName": contact.get("lastName"),
        "cwId": contact["id"],
        "inactive": bool(contact.get("inactiveFlag")),
        "title": contact.get("title"),
        "phone": communication("Phone"),
        "email": communication("Email"),
    }


async def test_include_primary_contact(env: CWEnv) -> None:
    record = env.sim.get("company", ACME)
    assert record is not None
    contact = env.sim.get("contact", record["defaultContact"]["id"])
    assert contact is not None
    response = await fetch(env, await local_id(env, ACME), includePrimaryContact="true")
    assert response.status_code == 200, response.text
    primary = response.json()["data"]["cw_Data"]["primaryContact"]
    assert primary == expected_contact(contact)
    assert primary["email"] and primary["phone"] and primary["cwId"] == record["defaultContact"]["id"]
    no_default = await fetch(env, await local_id(env, 251), includePrimaryContact="true")
    assert no_default.json()["data"]["cw_Data"] == {"primaryContact": None}


async def test_include_all_contacts(env: CWEnv) -> None:
    expected = [expected_contact(c) for c in env.sim.store.records("contacts") if c["company"]["id"] == ACME]
    assert len(expected) > 1
    response = await fetch(env, await local_id(env, ACME), "company.fetch.contacts", includeAllContacts="true")
    assert response.status_code == 200, response.text
    assert response.json()["data"]["cw_Data"] == {"allContacts": expected}
    denied = await fetch(env, await local_id(env, ACME), includeAllContacts="true")
    assert denied.status_code == 403 and denied.json()["missing"] == ["company.fetch.contacts"]


async def test_every_section_at_once_by_connectwise_id(env: CWEnv) -> None:
    response = await fetch(
        env,
        str(ACME),
        "company.fetch.address",
        "company.fetch.contacts",
        includeAddress="true",
        includePrimaryContact="true",
        includeAllContacts="true",
    )
    assert response.status_code == 200
    assert set(response.json()["data"]["cw_Data"]) == {"address", "primaryContact", "allContacts"}


async def test_enrichment_is_cached_for_the_ttl(env: CWEnv) -> None:
    company = await local_id(env, 262)
    first = await fetch(env, company, "company.fetch.address", includeAddress="true")
    await env.sim.touch("company", 262, addressLine1="99 Cached Street")
    env.sim.faults.set(error_rate=1.0)
    cached = await fetch(env, company, "company.fetch.address", includeAddress="true")
    assert cached.status_code == 200
    assert cached.json()["data"]["cw_Data"] == first.json()["data"]["cw_Data"]
    assert first.json()["data"]["cw_Data"]["address"]["line1"] != "99 Cached Street"
    env.sim.faults.reset()
    await asyncio.sleep(TTL + 0.2)
    fresh = await fetch(env, company, "company.fetch.address", includeAddress="true")
    assert fresh.json()["data"]["cw_Data"]["address"]["line1"] == "99 Cached Street"


async def test_enrichment_failure_is_the_connectwise_error(env: CWEnv) -> None:
    await svc.drop_enrichment(env.live.host, 263)
    env.sim.faults.set(error_rate=1.0)
    response = await fetch(env, await local_id(env, 263), "company.fetch.address", includeAddress="true")
    assert response.status_code == 502
    assert response.json()["error"] == "ConnectWiseUnavailable"


async def unlinked_company(env: CWEnv) -> str:
    async with env.live.host.db.session() as session, session.begin():
        row = CompanyRow(name="Local Only Ltd", cw_data={})
        session.add(row)
    return row.id


async def test_a_company_without_connectwise_id(env: CWEnv) -> None:
    company = await unlinked_company(env)
    response = await fetch(env, company, "company.fetch.address", includeAddress="true")
    assert response.status_code == 200 and response.json()["data"]["cw_Data"] == {}
    headers = await env.live.headers("company.fetch", "company.fetch.sites", "company.fetch.configurations")
    for view in ("sites", "configurations"):
        answer = await env.live.client.get(f"/v1/company/companies/{company}/{view}", headers=headers)
        assert answer.status_code == 404 and answer.json()["error"] == "CompanyNotLinked"
        missing = await env.live.client.get(f"/v1/company/companies/nosuchcompany/{view}", headers=headers)
        assert missing.status_code == 404 and missing.json()["error"] == "CompanyNotFound"


async def test_configurations(env: CWEnv) -> None:
    expected = [c["id"] for c in env.sim.store.records("configurations") if c["company"]["id"] == ACME]
    assert expected
    headers = await env.live.headers("company.fetch", "company.fetch.configurations")
    for identifier in (await local_id(env, ACME), str(ACME)):
        response = await env.live.client.get(f"/v1/company/companies/{identifier}/configurations", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["message"] == "Company Configurations Fetched Successfully!" and body["successful"] is True
        assert [c["id"] for c in body["data"]] == expected
        first = body["data"][0]
        assert first["company"]["id"] == ACME and "name" in first and "type" in first


async def test_sites(env: CWEnv) -> None:
    sites = [s for s in env.sim.store.records("sites") if s["company"]["id"] == ACME]
    assert sites
    headers = await env.live.headers("company.fetch", "company.fetch.sites")
    response = await env.live.client.get(f"/v1/company/companies/{await local_id(env, ACME)}/sites", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["message"] == "Company Sites Fetched Successfully!"
    site = sites[0]
    assert body["data"][0] == {
        "id": site["id"],
        "name": site["name"],
        "address": {
            "line1": site.get("addressLine1"),
            "line2": site.get("addressLine2"),
            "city": site.get("city"),
            "state": site.get("state"),
            "zip": site.get("zip"),
            "country": site["country"]["name"],
        },
        "phoneNumber": site.get("phoneNumber"),
        "faxNumber": site.get("faxNumber"),
        "primaryAddressFlag": bool(site.get("primaryAddressFlag")),
        "defaultShippingFlag": bool(site.get("defaultShippingFlag")),
        "defaultBillingFlag": bool(site.get("defaultBillingFlag")),
        "defaultMailingFlag": bool(site.get("defaultMailingFlag")),
    }


def test_site_state_from_a_state_reference() -> None:
    site = {"id": 1, "name": "HQ", "stateReference": {"id": 14, "identifier": "IL", "name": "Illinois"}, "state": "x"}
    assert svc.site_json(site)["address"]["state"] == "Illinois"
    assert svc.site_json({"id": 2, "stateReference": {"identifier": "KY"}})["address"]["state"] == "KY"
    assert svc.site_json({"id": 3})["address"] == {
        "line1": None,
        "line2": None,
        "city": None,
        "state": None,
        "zip": None,
        "country": None,
    }


async def test_views_fail_with_connectwise(env: CWEnv) -> None:
    headers = await env.live.headers("company.fetch", "company.fetch.sites")
    env.sim.faults.set(error_rate=1.0)
    response = await env.live.client.get(f"/v1/company/companies/{ACME}/sites", headers=headers)
    assert response.status_code == 502 and response.json()["error"] == "ConnectWiseUnavailable"


async def test_auth_matrix(env: CWEnv) -> None:
    checks = await check_auth_matrix(env.live, "connectwise")
    assert checks >= 3 * 2 + 2 * 2  # three token routes x (no token, bad token) + two nodes each on two routes
    for view, node in (("sites", "company.fetch.sites"), ("configurations", "company.fetch.configurations")):
        path = f"/v1/company/companies/{ACME}/{view}"
        assert (await env.live.client.get(path)).status_code == 401
        response = await env.live.client.get(path, headers=await env.live.headers("company.fetch"))
        assert response.status_code == 403 and response.json()["missing"] == [node]
