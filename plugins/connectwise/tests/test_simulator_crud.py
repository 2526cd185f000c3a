"""ConnectWise simulator: POST/PUT/PATCH/DELETE semantics, JSON Patch rules, sub-resources and 404s."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from optima_connectwise.simulator import create_connectwise_simulator
from optima_connectwise.simulator.resources import SPECS
from optima_connectwise.simulator.rules import WriteContext, prepare
from optima_connectwise.simulator.testing import RunningSimulator


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    with RunningSimulator(create_connectwise_simulator(seed=11, scale=0.2)) as running, running.client() as client:
        yield client


def errors_of(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] == "InvalidObject"
    return body["errors"]


def new_company(api: httpx.Client, identifier: str, **extra: Any) -> dict[str, Any]:
    response = api.post("/company/companies", json={"identifier": identifier, "name": f"{identifier} Inc", **extra})
    assert response.status_code == 201, response.text
    return response.json()


def test_create_company_returns_201_with_defaults_and_a_main_site(api: httpx.Client) -> None:
    company = new_company(api, "NewCo", addressLine1="1 Main St", city="Murray", state="KY", zip="42071")
    assert company["id"] > 0
    assert company["status"]["name"] == "Active"
    assert company["types"][0]["name"] == "Client"
    assert company["_info"]["lastUpdated"] and company["_info"]["updatedBy"] == "OptimaAPI"
    sites = api.get(f"/company/companies/{company['id']}/sites").json()
    assert [site["name"] for site in sites] == ["Main"]
    assert sites[0]["city"] == "Murray" and sites[0]["primaryAddressFlag"] is True
    assert company["site"]["id"] == sites[0]["id"]
    assert api.get(f"/company/companies/{company['id']}").json() == company


def test_create_validation_errors(api: httpx.Client) -> None:
    missing = errors_of(api.post("/company/companies", json={"name": "No Identifier"}))
    assert missing == [
        {
            "code": "NullOrEmptyField",
            "message": "The field identifier is required.",
            "resource": "company",
            "field": "identifier",
        }
    ]
    new_company(api, "TakenCo")
    clash = errors_of(api.post("/company/companies", json={"identifier": "takenco", "name": "Again"}))
    assert clash[0]["code"] == "ObjectExists" and clash[0]["field"] == "identifier"
    too_long = errors_of(api.post("/company/companies", json={"identifier": "X" * 26, "name": "Long"}))
    assert too_long[0]["code"] == "MaxLengthField"
    bad_ref = errors_of(
        api.post("/company/companies", json={"identifier": "BadRef", "name": "B", "status": {"id": 999}})
    )
    assert bad_ref[0] | {"message": ""} == {
        "code": "NotFound",
        "message": "",
        "resource": "company",
        "field": "status/id",
    }
    not_a_ref = errors_of(api.post("/company/companies", json={"identifier": "BadRef", "name": "B", "status": 1}))
    assert not_a_ref[0]["field"] == "status"
    not_json = api.post("/company/companies", content=b"{nope", headers={"Content-Type": "application/json"})
    assert not_json.status_code == 400 and not_json.json()["code"] == "InvalidObject"


def test_patch_replace_returns_record_and_refreshes_references(api: httpx.Client) -> None:
    company = new_company(api, "PatchCo")
    contact = api.post(
        "/company/contacts", json={"firstName": "Pat", "lastName": "Ch", "company": {"id": company["id"]}}
    ).json()
    assert contact["company"]["name"] == "PatchCo Inc"
    response = api.patch(
        f"/company/companies/{company['id']}", json=[{"op": "replace", "path": "name", "value": "PatchCo Renamed"}]
    )
    assert response.status_code == 200
    patched = response.json()
    assert patched["name"] == "PatchCo Renamed"
    assert patched["_info"]["lastUpdated"] >= company["_info"]["lastUpdated"]
    assert patched["_info"]["dateEntered"] == company["_info"]["dateEntered"]
    assert api.get(f"/company/contacts/{contact['id']}").json()["company"]["name"] == "PatchCo Renamed"


def test_patch_add_remove_and_slash_paths(api: httpx.Client) -> None:
    company = new_company(api, "OpsCo", addressLine2="Suite 9")
    added = api.patch(
        f"/company/companies/{company['id']}", json=[{"op": "add", "path": "/website", "value": "ops.example"}]
    )
    assert added.json()["website"] == "ops.example"
    removed = api.patch(f"/company/companies/{company['id']}", json=[{"op": "remove", "path": "addressLine2"}]).json()
    assert "addressLine2" not in removed
    nulled = api.patch(
        f"/company/companies/{company['id']}", json=[{"op": "replace", "path": "website", "value": None}]
    )
    assert "website" not in nulled.json()


def test_patch_replaces_whole_references_only(api: httpx.Client) -> None:
    first, second = new_company(api, "RefOne"), new_company(api, "RefTwo")
    contact = api.post("/company/contacts", json={"firstName": "Ref", "company": {"id": first["id"]}}).json()
    moved = api.patch(
        f"/company/contacts/{contact['id']}", json=[{"op": "replace", "path": "company", "value": {"id": second["id"]}}]
    )
    assert moved.status_code == 200
    assert moved.json()["company"] | {"_info": None} == {
        "id": second["id"],
        "identifier": "RefTwo",
        "name": "RefTwo Inc",
        "_info": None,
    }
    sub_path = api.patch(
        f"/company/contacts/{contact['id']}", json=[{"op": "replace", "path": "company/id", "value": first["id"]}]
    )
    assert "whole reference" in errors_of(sub_path)[0]["message"]
    missing = api.patch(
        f"/company/contacts/{contact['id']}", json=[{"op": "replace", "path": "company", "value": {"id": 987654}}]
    )
    assert errors_of(missing)[0]["field"] == "company/id"


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ([{"op": "replace", "path": "Name", "value": "x"}], "case-sensitive"),
        ([{"op": "replace", "path": "nosuch", "value": "x"}], "Cannot find field"),
        ([{"op": "move", "path": "name", "from": "identifier"}], "Unsupported patch op"),
        ([{"op": "replace", "path": "name"}], "needs a value"),
        ([{"op": "replace", "path": "id", "value": 5}], "read-only"),
        ([], "JSON Patch array"),
        ({"name": "not a patch"}, "JSON Patch array"),
        ([{"op": "replace", "value": 1}], "needs a path"),
        ([{"op": "replace", "path": "name", "value": ""}], "required"),
    ],
)
def test_bad_patches_are_400(api: httpx.Client, document: Any, fragment: str) -> None:
    company = api.get("/company/companies", params={"pageSize": 1}).json()[0]
    response = api.patch(f"/company/companies/{company['id']}", json=document)
    assert fragment in errors_of(response)[0]["message"]
    assert api.get(f"/company/companies/{company['id']}").json()["name"] == company["name"]


def test_put_replaces_the_whole_record(api: httpx.Client) -> None:
    company = new_company(api, "PutCo", website="put.example", city="Paris")
    body = {"identifier": "PutCo", "name": "PutCo Replaced", "site": company["site"]}
    replaced = api.put(f"/company/companies/{company['id']}", json=body)
    assert replaced.status_code == 200
    record = replaced.json()
    assert record["name"] == "PutCo Replaced" and "website" not in record and "city" not in record
    assert record["_info"]["dateEntered"] == company["_info"]["dateEntered"]
    assert errors_of(api.put(f"/company/companies/{company['id']}", json={"name": "no identifier"}))


def test_delete_then_404(api: httpx.Client) -> None:
    company = new_company(api, "GoneCo")
    deleted = api.delete(f"/company/companies/{company['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    for response in (
        api.get(f"/company/companies/{company['id']}"),
        api.delete(f"/company/companies/{company['id']}"),
        api.patch(f"/company/companies/{company['id']}", json=[{"op": "replace", "path": "name", "value": "x"}]),
        api.put(f"/company/companies/{company['id']}", json={"identifier": "GoneCo", "name": "x"}),
        api.get(f"/company/companies/{company['id']}/sites"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "NotFound"


def test_sites_belong_to_their_company(api: httpx.Client) -> None:
    company, other = new_company(api, "SiteCo"), new_company(api, "SiteOther")
    site = api.post(
        f"/company/companies/{company['id']}/sites", json={"name": "Warehouse", "city": "Mayfield", "faxNumber": "1"}
    )
    assert site.status_code == 201
    site_id = site.json()["id"]
    assert site.json()["company"]["id"] == company["id"]
    assert site.json()["defaultBillingFlag"] is False
    assert len(api.get(f"/company/companies/{company['id']}/sites").json()) == 2
    assert api.get(f"/company/companies/{other['id']}/sites/{site_id}").status_code == 404
    patched = api.patch(
        f"/company/companies/{company['id']}/sites/{site_id}", json=[{"op": "replace", "path": "name", "value": "Dock"}]
    )
    assert patched.json()["name"] == "Dock"
    assert api.delete(f"/company/companies/{company['id']}/sites/{site_id}").status_code == 204


def opportunity_body(api: httpx.Client) -> dict[str, Any]:
    contact = api.get("/company/contacts/1000").json()
    member = api.get("/system/members", params={"conditions": "inactiveFlag = False", "pageSize": 1}).json()[0]
    return {
        "name": "Simulator Opportunity",
        "expectedCloseDate": "2026-06-01",
        "primarySalesRep": {"identifier": member["identifier"]},
        "company": {"id": contact["company"]["id"]},
        "contact": {"id": contact["id"]},
    }


def test_opportunity_lifecycle(api: httpx.Client) -> None:
    body = opportunity_body(api)
    for required in ("name", "expectedCloseDate", "primarySalesRep", "company", "contact"):
        partial = {key: value for key, value in body.items() if key != required}
        assert any(error["field"] == required for error in errors_of(api.post("/sales/opportunities", json=partial)))
    created = api.post("/sales/opportunities", json=body)
    assert created.status_code == 201
    opportunity = created.json()
    assert opportunity["expectedCloseDate"] == "2026-06-01T00:00:00Z"
    assert opportunity["status"]["id"] == 37 and opportunity["closedFlag"] is False
    assert opportunity["primarySalesRep"]["identifier"] == body["primarySalesRep"]["identifier"]
    won = api.patch(
        f"/sales/opportunities/{opportunity['id']}", json=[{"op": "replace", "path": "status", "value": {"id": 29}}]
    ).json()
    assert won["closedFlag"] is True and won["status"]["name"] == "95. Won" and "closedDate" in won
    wrong_contact = api.patch(
        f"/sales/opportunities/{opportunity['id']}",
        json=[{"op": "replace", "path": "company", "value": {"id": 250}}],
    )
    assert errors_of(wrong_contact)[0]["field"] == "contact/id"
    bad_date = api.patch(
        f"/sales/opportunities/{opportunity['id']}",
        json=[{"op": "replace", "path": "expectedCloseDate", "value": "soon"}],
    )
    assert errors_of(bad_date)[0]["field"] == "expectedCloseDate"
    assert api.delete(f"/sales/opportunities/{opportunity['id']}").status_code == 204
    assert api.get(f"/sales/opportunities/{opportunity['id']}/forecast").status_code == 404


def test_notes_and_opportunity_contacts(api: httpx.Client) -> None:
    opportunity = api.post("/sales/opportunities", json=opportunity_body(api)).json()
    base = f"/sales/opportunities/{opportunity['id']}"
    assert errors_of(api.post(f"{base}/notes", json={"flagged": True}))[0]["field"] == "text"
    note = api.post(f"{base}/notes", json={"text": "Follow up with client about pricing."})
    assert note.status_code == 201
    note_body = note.json()
    assert note_body["opportunityId"] == opportunity["id"] and note_body["flagged"] is False
    assert note_body["enteredBy"] == "OptimaAPI"
    updated = api.patch(f"{base}/notes/{note_body['id']}", json=[{"op": "replace", "path": "flagged", "value": True}])
    assert updated.json()["flagged"] is True and updated.json()["text"] == note_body["text"]
    assert [n["id"] for n in api.get(f"{base}/notes").json()] == [note_body["id"]]
    other = api.get("/sales/opportunities", params={"pageSize": 1}).json()[0]
    assert api.get(f"/sales/opportunities/{other['id']}/notes/{note_body['id']}").status_code == 404
    assert api.delete(f"{base}/notes/{note_body['id']}").status_code == 204
    assert api.get(f"{base}/notes/{note_body['id']}").status_code == 404
    contact = api.post(f"{base}/contacts", json={"contact": {"id": 1000}, "role": {"id": 1}, "notes": "Decides"})
    assert contact.status_code == 201
    assert contact.json()["company"]["id"] == opportunity["company"]["id"]
    assert contact.json()["referralFlag"] is False
    assert len(api.get(f"{base}/contacts").json()) == 1


def test_forecast_items_and_linked_procurement_products(api: httpx.Client) -> None:
    opportunity = api.post("/sales/opportunities", json=opportunity_body(api)).json()
    base = f"/sales/opportunities/{opportunity['id']}"
    assert api.get(f"{base}/forecast").json()["forecastItems"] == []
    item = api.post(
        f"{base}/forecast",
        json={"catalogItem": {"id": 3756}, "revenue": 500.0, "cost": 250.0, "forecastType": "Service"},
    )
    assert item.status_code == 201
    item_body = item.json()
    assert item_body["margin"] == 250.0 and item_body["percentage"] == 50.0
    assert item_body["opportunity"]["id"] == opportunity["id"]
    assert item_body["status"]["id"] == opportunity["status"]["id"]
    assert item_body["sequenceNumber"] == 1
    assert api.get(f"{base}/forecast/count").json() == {"count": 1}
    patched = api.patch(
        f"{base}/forecast/{item_body['id']}", json=[{"op": "replace", "path": "revenue", "value": 1000}]
    )
    assert patched.json()["margin"] == 750.0
    assert errors_of(api.post(f"{base}/forecast", json={"forecastType": "Gadget"}))[0]["field"] == "forecastType"
    product = api.post(
        "/procurement/products",
        json={
            "catalogItem": {"id": 3757},
            "billableOption": "Billable",
            "opportunity": {"id": opportunity["id"]},
            "quantity": 2,
        },
    )
    assert product.status_code == 201
    product_body = product.json()
    assert product_body["price"] == 125.0 and product_body["description"] == "Labor & Installation - Tech"
    linked = api.get(f"{base}/forecast/{product_body['forecastDetailId']}").json()
    assert linked["revenue"] == 250.0 and linked["quantity"] == 2
    api.patch(f"/procurement/products/{product_body['id']}", json=[{"op": "replace", "path": "price", "value": 100}])
    assert api.get(f"{base}/forecast/{product_body['forecastDetailId']}").json()["revenue"] == 200.0
    cancel = api.patch(
        f"/procurement/products/{product_body['id']}",
        json=[
            {"op": "replace", "path": "quantityCancelled", "value": 1},
            {"op": "add", "path": "cancelledReason", "value": "Out of stock"},
        ],
    ).json()
    assert cancel["cancelledFlag"] is True and "cancelledDate" in cancel
    too_many = api.patch(
        f"/procurement/products/{product_body['id']}", json=[{"op": "replace", "path": "quantityCancelled", "value": 3}]
    )
    assert errors_of(too_many)[0]["field"] == "quantityCancelled"
    assert errors_of(api.post("/procurement/products", json={"catalogItem": {"id": 3757}, "billableOption": "Maybe"}))
    assert api.delete(f"/procurement/products/{product_body['id']}").status_code == 204
    assert api.get(f"{base}/forecast/{product_body['forecastDetailId']}").status_code == 404
    assert api.delete(f"{base}/forecast/{item_body['id']}").status_code == 204
    assert api.get(f"{base}/forecast").json()["forecastItems"] == []


def test_activities_require_name_and_assignee(api: httpx.Client) -> None:
    fields = {error["field"] for error in errors_of(api.post("/sales/activities", json={"notes": "x"}))}
    assert fields == {"name", "assignTo"}
    opportunity = api.get("/sales/opportunities/5000").json()
    activity = api.post(
        "/sales/activities",
        json={
            "name": "Follow-up Call",
            "assignTo": {"id": opportunity["primarySalesRep"]["id"]},
            "opportunity": {"id": 5000},
            "dateStart": "2026-03-01T10:00:00Z",
            "dateEnd": "2026-03-01T10:30:00Z",
            "customFields": [
                {"id": 45, "caption": "Optima_Type", "type": "Text", "entryMethod": "List", "value": "Quote Sent"}
            ],
        },
    )
    assert activity.status_code == 201
    body = activity.json()
    assert body["company"]["id"] == opportunity["company"]["id"]
    assert body["status"]["name"] == "Open"
    backwards = api.post(
        "/sales/activities",
        json={
            "name": "x",
            "assignTo": {"id": 101},
            "dateStart": "2026-03-02T00:00:00Z",
            "dateEnd": "2026-03-01T00:00:00Z",
        },
    )
    assert errors_of(backwards)[0]["field"] == "dateEnd"


def test_catalog_items_and_lookups(api: httpx.Client) -> None:
    created = api.post(
        "/procurement/catalog",
        json={
            "identifier": "SIM-ITEM-1",
            "description": "Simulated item",
            "subcategory": {"id": 112},
            "productClass": "Inventory",
            "price": 10,
        },
    )
    assert created.status_code == 201
    item = created.json()
    assert item["category"]["name"] == "Technology"
    inventory = api.get(f"/procurement/catalog/{item['id']}/inventory").json()
    assert inventory[0]["onHand"] == 0
    mismatch = api.post(
        "/procurement/catalog",
        json={"identifier": "SIM-ITEM-2", "description": "x", "subcategory": {"id": 112}, "category": {"id": 21}},
    )
    assert errors_of(mismatch)[0]["field"] == "subcategory/id"
    assert errors_of(api.post("/procurement/catalog", json={"identifier": "SIM-ITEM-1", "description": "dup"}))
    assert [c["name"] for c in api.get("/procurement/categories").json()] == [
        "Technology",
        "Field",
        "General",
        "Security",
    ]
    manufacturers = api.get("/procurement/manufacturers", params={"conditions": 'name = "Ubiquiti"'}).json()
    assert manufacturers[0]["id"] == 248
    subcategory = api.get("/procurement/subcategories/112").json()
    assert subcategory["name"] == "Network-Switch" and subcategory["category"]["id"] == 18


def test_get_then_put_back_round_trips(api: httpx.Client) -> None:
    for path in (
        "/company/companies/256",
        "/sales/opportunities/5001",
        "/company/contacts/1001",
        "/procurement/catalog/3001",
    ):
        record = api.get(path).json()
        response = api.put(path, json=record)
        assert response.status_code == 200, (path, response.text)
        again = response.json()
        assert {k: v for k, v in again.items() if k != "_info"} == {k: v for k, v in record.items() if k != "_info"}


def test_every_seeded_record_passes_its_own_validation() -> None:
    sim = create_connectwise_simulator(seed=9, scale=0.3)
    checked = 0
    for spec in SPECS.values():
        if not spec.writable:
            continue
        for record in sim.store.records(spec.name):
            parent = sim.store.parent_of(spec.name, record["id"])
            prepared = prepare(WriteContext(sim.store, spec, "tester", sim.store.now(), parent, record), record)
            assert {k: v for k, v in prepared.items() if k != "_info"} == {
                k: v for k, v in record.items() if k != "_info"
            }, (spec.name, record["id"])
            checked += 1
    assert checked > 1000
