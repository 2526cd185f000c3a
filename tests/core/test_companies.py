"""Company routes over real HTTP: ``/company/companies`` (spec: Company Routes)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from optima_platform.core.models import Company
from optima_platform.hooks.contributions import PluginManifest
from optima_platform.hooks.specs import hookimpl
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app

ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ROW_KEYS = {"id", "name", "cw_CompanyId", "cw_Identifier", "createdAt", "updatedAt"}
NUMBERED = [f"Company {i:02d}" for i in range(34)]
OTHERS = ["Percent 100% Inc", "Under_score Ltd", "UnderXscore Ltd", "Zephyr Widgets"]
TOTAL = len(NUMBERED) + len(OTHERS)


class EnrichProbe:
    """Stands in for a ConnectWise plugin: ``cw_Data`` echoes the sections asked for."""

    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="enrichprobe", version="1.0")

    @hookimpl
    def optima_enrich_company(self, host: Any, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
        return {"sections": sorted(include), "companyId": company["id"]}


async def seed(app: LiveApp) -> None:
    async with app.host.db.session() as session, session.begin():
        for i, name in enumerate(NUMBERED):
            session.add(Company(name=name, cw_company_id=1000 + i, cw_identifier=f"CO{i:02d}"))
        session.add(Company(name="Percent 100% Inc", cw_company_id=None, cw_identifier=None))
        session.add(Company(name="Under_score Ltd", cw_company_id=2001, cw_identifier="US1"))
        session.add(Company(name="UnderXscore Ltd", cw_company_id=2002, cw_identifier="UX1"))
        session.add(Company(name="Zephyr Widgets", cw_company_id=777, cw_identifier="ZW-Special"))


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    await seed(live)
    yield live
    await live.stop()


@pytest.fixture(scope="module")
async def enriched(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(
        make_settings(await databases.create(), plugins=["core", "enrichprobe"]), extra_plugins=[EnrichProbe()]
    )
    await seed(live)
    yield live
    await live.stop()


async def company(app: LiveApp, name: str) -> Company:
    async with app.host.db.session() as session:
        return (await session.execute(select(Company).where(Company.name == name))).scalar_one()


def pagination(previous: int | None, current: int, nxt: int | None, pages: int, total: int, listed: int) -> dict:
    return {
        "previousPage": previous,
        "currentPage": current,
        "nextPage": nxt,
        "totalPages": pages,
        "totalRecords": total,
        "listedRecords": listed,
    }


async def listing(app: LiveApp, headers: dict[str, str], **params: Any) -> dict[str, Any]:
    response = await app.client.get("/v1/company/companies", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"status", "message", "data", "pagination", "successful"}
    assert body["status"] == 200 and body["message"] == "Companies Fetched Successfully!" and body["successful"]
    return body


def validation_error(response: Any) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status"] == 400 and body["message"] == "Validation error" and body["error"] == "ValidationError"
    assert body["successful"] is False
    [error] = body["errors"]
    assert set(error) == {"path", "message"} and isinstance(error["path"], list) and error["message"]
    return error


# --- GET /company/companies -------------------------------------------------------------------------


async def test_list_first_page_defaults(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    body = await listing(app, headers)
    rows = body["data"]
    assert [r["name"] for r in rows] == NUMBERED[:30]
    assert body["pagination"] == pagination(None, 1, 2, 2, TOTAL, 30)
    assert all(set(r) == ROW_KEYS for r in rows)
    stored = await company(app, "Company 07")
    row = rows[7]
    assert ISO.match(row["createdAt"]) and ISO.match(row["updatedAt"])
    assert {k: row[k] for k in ("id", "name", "cw_CompanyId", "cw_Identifier")} == {
        "id": stored.id,
        "name": "Company 07",
        "cw_CompanyId": 1007,
        "cw_Identifier": "CO07",
    }


async def test_list_last_page(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.name")
    body = await listing(app, headers, page=2)
    assert body["pagination"] == pagination(1, 2, None, 2, TOTAL, TOTAL - 30)
    names = [r["name"] for r in body["data"]]
    assert names[:4] == NUMBERED[30:]
    assert set(names[4:]) == set(OTHERS)


async def test_list_rpp_and_middle_page(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.name")
    body = await listing(app, headers, page=3, rpp=10)
    assert [r["name"] for r in body["data"]] == NUMBERED[20:30]
    assert body["pagination"] == pagination(2, 3, 4, 4, TOTAL, 10)
    body = await listing(app, headers, page=1, rpp=200)
    assert len(body["data"]) == TOTAL and body["pagination"] == pagination(None, 1, None, 1, TOTAL, TOTAL)


async def test_list_page_past_the_end(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    body = await listing(app, headers, page=9)
    assert body["data"] == []
    assert body["pagination"] == pagination(8, 9, None, 2, TOTAL, 0)


async def test_list_field_gating(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.name", "obj.company.cw_CompanyId")
    rows = (await listing(app, headers, rpp=3))["data"]
    assert rows == [{"name": f"Company {i:02d}", "cw_CompanyId": 1000 + i} for i in range(3)]
    nothing = await app.headers("company.fetch.many")
    assert (await listing(app, nothing, rpp=2))["data"] == [{}, {}]


async def test_search_name_case_insensitive(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    body = await listing(app, headers, search="zEPHYR")
    assert [r["name"] for r in body["data"]] == ["Zephyr Widgets"]
    assert body["pagination"] == pagination(None, 1, None, 1, 1, 1)
    body = await listing(app, headers, search="company 1", rpp=5, page=2)
    assert [r["name"] for r in body["data"]] == NUMBERED[15:20]
    assert body["pagination"] == pagination(1, 2, None, 2, 10, 5)


async def test_search_cw_identifier(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    body = await listing(app, headers, search="zw-spec")
    assert [r["cw_Identifier"] for r in body["data"]] == ["ZW-Special"]


async def test_search_without_matches(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    body = await listing(app, headers, search="no such company anywhere")
    assert body["data"] == []
    assert body["pagination"] == pagination(None, 1, None, 0, 0, 0)


async def test_search_wildcard_characters_are_literal(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.name")
    assert [r["name"] for r in (await listing(app, headers, search="%"))["data"]] == ["Percent 100% Inc"]
    assert [r["name"] for r in (await listing(app, headers, search="under_"))["data"]] == ["Under_score Ltd"]
    assert (await listing(app, headers, search="\\"))["data"] == []


async def test_search_only_on_readable_fields(app: LiveApp) -> None:
    names_only = await app.headers("company.fetch.many", "obj.company.name")
    assert (await listing(app, names_only, search="ZW-Special"))["data"] == []
    assert [r["name"] for r in (await listing(app, names_only, search="zephyr"))["data"]] == ["Zephyr Widgets"]
    ids_only = await app.headers("company.fetch.many", "obj.company.cw_Identifier")
    assert (await listing(app, ids_only, search="ZW-Special"))["data"] == [{"cw_Identifier": "ZW-Special"}]
    assert (await listing(app, ids_only, search="zephyr"))["data"] == []


async def test_search_on_unreadable_fields_is_403(app: LiveApp) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.id")
    response = await app.client.get("/v1/company/companies", params={"search": "acme"}, headers=headers)
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "You may not search on field(s) you cannot read: name, cw_Identifier.",
        "error": "InsufficientPermission",
        "missing": ["obj.company.name", "obj.company.cw_Identifier"],
        "successful": False,
    }
    assert (await listing(app, headers, rpp=1))["data"] == [{"id": (await company(app, "Company 00")).id}]


@pytest.mark.parametrize(
    "params",
    [{"page": 0}, {"page": "two"}, {"rpp": 0}, {"rpp": 201}, {"rpp": "x"}, {"search": "s" * 201}],
)
async def test_list_bad_query(app: LiveApp, params: dict[str, Any]) -> None:
    headers = await app.headers("company.fetch.many", "obj.company.*")
    response = await app.client.get("/v1/company/companies", params=params, headers=headers)
    error = validation_error(response)
    assert error["path"][-1] == next(iter(params))


# --- GET /company/companies/{identifier} ------------------------------------------------------------


async def test_get_company_by_id_and_connectwise_id(app: LiveApp) -> None:
    stored = await company(app, "Zephyr Widgets")
    headers = await app.headers("company.fetch", "obj.company.*")
    for identifier in (stored.id, "777"):
        response = await app.client.get(f"/v1/company/companies/{identifier}", headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == 200 and body["message"] == "Company Fetched Successfully!" and body["successful"]
        data = body["data"]
        assert set(data) == {*ROW_KEYS, "cw_Data"}
        assert ISO.match(data["createdAt"]) and ISO.match(data["updatedAt"])
        assert {k: v for k, v in data.items() if k not in ("createdAt", "updatedAt")} == {
            "id": stored.id,
            "name": "Zephyr Widgets",
            "cw_CompanyId": 777,
            "cw_Identifier": "ZW-Special",
            "cw_Data": {},
        }


async def test_get_company_gated(app: LiveApp) -> None:
    stored = await company(app, "Company 03")
    headers = await app.headers("company.fetch", "obj.company.name", "obj.company.cw_Identifier")
    response = await app.client.get(f"/v1/company/companies/{stored.id}", headers=headers)
    assert response.json()["data"] == {"name": "Company 03", "cw_Identifier": "CO03"}


@pytest.mark.parametrize("identifier", ["nope", "424242", "99999999999999999999999999", "²"])
async def test_get_company_not_found(app: LiveApp, identifier: str) -> None:
    headers = await app.headers("company.fetch", "obj.company.*")
    response = await app.client.get(f"/v1/company/companies/{identifier}", headers=headers)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": f"Company with identifier '{identifier}' was not found.",
        "error": "CompanyNotFound",
        "successful": False,
    }


async def test_include_address_needs_company_fetch_address(app: LiveApp) -> None:
    stored = await company(app, "Company 01")
    url = f"/v1/company/companies/{stored.id}"
    base = await app.headers("company.fetch", "obj.company.*")
    response = await app.client.get(url, params={"includeAddress": "true"}, headers=base)
    assert response.status_code == 403
    assert response.json() == {
        "status": 403,
        "message": "Insufficient permissions",
        "error": "InsufficientPermission",
        "missing": ["company.fetch.address"],
        "successful": False,
    }
    assert (await app.client.get(url, params={"includeAddress": "false"}, headers=base)).status_code == 200
    allowed = await app.headers("company.fetch", "company.fetch.address", "obj.company.*")
    response = await app.client.get(url, params={"includeAddress": "true"}, headers=allowed)
    assert response.status_code == 200 and response.json()["data"]["id"] == stored.id


async def test_include_all_contacts_needs_company_fetch_contacts(app: LiveApp) -> None:
    stored = await company(app, "Company 02")
    url = f"/v1/company/companies/{stored.id}"
    base = await app.headers("company.fetch", "company.fetch.address", "obj.company.*")
    response = await app.client.get(url, params={"includeAllContacts": "true"}, headers=base)
    assert response.status_code == 403
    assert response.json()["missing"] == ["company.fetch.contacts"]
    response = await app.client.get(url, params={"includeAllContacts": "true", "includeAddress": "true"}, headers=base)
    assert response.status_code == 403 and response.json()["missing"] == ["company.fetch.contacts"]
    allowed = await app.headers("company.fetch", "company.fetch.contacts", "obj.company.*")
    assert (await app.client.get(url, params={"includeAllContacts": "true"}, headers=allowed)).status_code == 200
    # includePrimaryContact needs nothing beyond company.fetch.
    plain = await app.headers("company.fetch", "obj.company.*")
    assert (await app.client.get(url, params={"includePrimaryContact": "true"}, headers=plain)).status_code == 200


async def test_get_company_bad_flag(app: LiveApp) -> None:
    stored = await company(app, "Company 04")
    headers = await app.headers("company.fetch", "company.fetch.address", "obj.company.*")
    response = await app.client.get(
        f"/v1/company/companies/{stored.id}", params={"includeAddress": "maybe"}, headers=headers
    )
    error = validation_error(response)
    assert error["message"] == "Expected `bool`, got `str`" and error["path"]


async def test_bad_flag_error_names_the_query_parameter(app: LiveApp) -> None:
    stored = await company(app, "Company 04")
    headers = await app.headers("company.fetch", "obj.company.*")
    response = await app.client.get(
        f"/v1/company/companies/{stored.id}", params={"includePrimaryContact": "maybe"}, headers=headers
    )
    assert validation_error(response)["path"][-1] == "includePrimaryContact"


async def test_enrichment_gets_the_requested_sections(enriched: LiveApp) -> None:
    stored = await company(enriched, "Company 05")
    url = f"/v1/company/companies/{stored.id}"
    headers = await enriched.headers(
        "company.fetch", "company.fetch.address", "company.fetch.contacts", "obj.company.*"
    )
    response = await enriched.client.get(url, headers=headers)
    assert response.json()["data"]["cw_Data"] == {"sections": [], "companyId": stored.id}
    params = {"includeAddress": "true", "includePrimaryContact": "true", "includeAllContacts": "true"}
    response = await enriched.client.get(url, params=params, headers=headers)
    assert response.json()["data"]["cw_Data"] == {
        "sections": ["address", "allContacts", "primaryContact"],
        "companyId": stored.id,
    }


async def test_enrichment_is_field_gated(enriched: LiveApp) -> None:
    stored = await company(enriched, "Company 06")
    headers = await enriched.headers("company.fetch", "obj.company.*", "-obj.company.cw_Data")
    data = (await enriched.client.get(f"/v1/company/companies/{stored.id}", headers=headers)).json()["data"]
    assert set(data) == ROW_KEYS
    headers = await enriched.headers("company.fetch", "obj.company.cw_Data")
    data = (await enriched.client.get(f"/v1/company/companies/{stored.id}", headers=headers)).json()["data"]
    assert data == {"cw_Data": {"sections": [], "companyId": stored.id}}


async def test_connectwise_id_lookup_needs_the_cw_id_field(app: LiveApp) -> None:
    """A ConnectWise id works as an identifier only for callers who may read cw_CompanyId."""
    async with app.host.db.session() as session, session.begin():
        company = Company(name="Hidden Id Co", cw_company_id=987654, cw_identifier="HiddenIdCo", cw_data={})
        session.add(company)
    blind = await app.headers("company.fetch", "obj.company.id")
    assert (await app.client.get("/v1/company/companies/987654", headers=blind)).status_code == 404
    assert (await app.client.get(f"/v1/company/companies/{company.id}", headers=blind)).status_code == 200
    sighted = await app.headers("company.fetch", "obj.company.id", "obj.company.cw_CompanyId")
    response = await app.client.get("/v1/company/companies/987654", headers=sighted)
    assert response.status_code == 200 and response.json()["data"]["id"] == company.id
