"""ConnectWise simulator: paging with Link headers, forward-only paging, orderBy, fields, count and search."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from optima_connectwise.simulator import create_connectwise_simulator
from optima_connectwise.simulator.testing import RunningSimulator

_LINK = re.compile(r'<([^>]+)>;\s*rel="([a-z]+)"')


def links(response: httpx.Response) -> dict[str, str]:
    return {rel: url for url, rel in _LINK.findall(response.headers.get("link", ""))}


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    with RunningSimulator(create_connectwise_simulator(seed=5, scale=0.3)) as server:
        yield server


@pytest.fixture()
def api(running: RunningSimulator) -> Iterator[httpx.Client]:
    with running.client() as client:
        yield client


def test_default_page_size_is_25_with_first_next_last(api: httpx.Client) -> None:
    total = api.get("/company/contacts/count").json()["count"]
    assert total == 180
    response = api.get("/company/contacts")
    assert len(response.json()) == 25
    rels = links(response)
    assert set(rels) == {"first", "next", "last"}
    assert rels["next"].startswith("http://127.0.0.1:")
    assert "page=2" in rels["next"] and "pageSize=25" in rels["next"]
    assert "page=8" in rels["last"]


def test_following_next_links_visits_every_record_once(running: RunningSimulator, api: httpx.Client) -> None:
    seen: list[int] = []
    url: str | None = f"{running.api_url}/company/contacts?pageSize=40&conditions=inactiveFlag%3DFalse"
    pages = 0
    while url:
        response = api.get(url)
        assert response.status_code == 200
        seen += [record["id"] for record in response.json()]
        rels = links(response)
        if pages:
            assert "prev" in rels
        assert "conditions=inactiveFlag%3DFalse" in rels["first"]
        url = rels.get("next")
        pages += 1
    expected = api.get("/company/contacts/count", params={"conditions": "inactiveFlag=False"}).json()["count"]
    assert len(seen) == len(set(seen)) == expected
    assert seen == sorted(seen)
    assert pages == -(-expected // 40)


def test_last_page_has_prev_but_no_next_and_beyond_is_empty(api: httpx.Client) -> None:
    response = api.get("/company/contacts", params={"page": 8, "pageSize": 25})
    assert len(response.json()) == 180 - 7 * 25
    assert set(links(response)) == {"first", "prev", "last"}
    beyond = api.get("/company/contacts", params={"page": 50})
    assert beyond.status_code == 200 and beyond.json() == []
    single = api.get("/company/contacts", params={"pageSize": 1000})
    assert set(links(single)) == {"first", "last"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": 1001}, "pageSize"),
        ({"pageSize": 0}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"page": 0}, "page"),
    ],
)
def test_bad_page_parameters_are_out_of_range(api: httpx.Client, params: dict[str, object], field: str) -> None:
    response = api.get("/company/contacts", params=params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert body["errors"][0] | {"message": ""} == {
        "code": "OutOfRange",
        "message": "",
        "resource": field,
        "field": field,
    }


def test_page_size_1000_is_allowed(api: httpx.Client) -> None:
    assert len(api.get("/procurement/catalog", params={"pageSize": 1000}).json()) == 243


def test_forward_only_paging(api: httpx.Client) -> None:
    headers = {"pagination-type": "forward-only"}
    seen: list[int] = []
    params: dict[str, object] = {"pageSize": 50, "conditions": "inactiveFlag = False"}
    response = api.get("/company/contacts", params=params, headers=headers)
    while True:
        assert response.status_code == 200
        batch = [record["id"] for record in response.json()]
        seen += batch
        link = response.headers.get("link")
        if link is None:
            break
        rels = links(response)
        assert set(rels) == {"next"}
        assert f"pageId={batch[-1]}" in rels["next"]
        assert "conditions=" in rels["next"]
        response = api.get(rels["next"], headers=headers)
    expected = api.get("/company/contacts/count", params={"conditions": "inactiveFlag = False"}).json()["count"]
    assert seen == sorted(seen) and len(seen) == expected


def test_forward_only_rejects_order_by(api: httpx.Client) -> None:
    response = api.get(
        "/company/contacts", params={"orderBy": "lastName asc"}, headers={"pagination-type": "forward-only"}
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "orderBy"


def test_order_by_ascending_descending_and_nested(api: httpx.Client) -> None:
    names = [c["name"] for c in api.get("/company/companies", params={"orderBy": "name asc", "pageSize": 1000}).json()]
    assert names == sorted(names, key=str.casefold)
    desc = [c["name"] for c in api.get("/company/companies", params={"orderBy": "name desc", "pageSize": 1000}).json()]
    assert desc == sorted(names, key=str.casefold, reverse=True)
    records = api.get("/sales/opportunities", params={"orderBy": "company/name asc, id desc", "pageSize": 1000}).json()
    keys = [(r["company"]["name"].casefold(), -r["id"]) for r in records]
    assert keys == sorted(keys)
    dates = [
        r["expectedCloseDate"]
        for r in api.get("/sales/opportunities", params={"orderBy": "expectedCloseDate desc"}).json()
    ]
    assert dates == sorted(dates, reverse=True)
    for bad in ("nosuch asc", "name sideways", "company asc"):
        assert api.get("/company/companies", params={"orderBy": bad}).status_code == 400


def test_fields_projection(api: httpx.Client) -> None:
    records = api.get("/sales/opportunities", params={"fields": "id,name,status/id", "pageSize": 5}).json()
    assert len(records) == 5
    for record in records:
        assert set(record) == {"id", "name", "status"}
        assert set(record["status"]) == {"id"}
    contact = api.get("/company/contacts/1000", params={"fields": "id,communicationItems/value"}).json()
    assert set(contact) == {"id", "communicationItems"}
    assert all(set(item) == {"value"} for item in contact["communicationItems"])


def test_count_honours_conditions(api: httpx.Client) -> None:
    everything = api.get("/sales/opportunities/count").json()
    assert everything == {"count": 75}
    won = api.get("/sales/opportunities/count", params={"conditions": "status/id = 29"}).json()["count"]
    listed = api.get("/sales/opportunities", params={"conditions": "status/id = 29", "pageSize": 1000}).json()
    assert won == len(listed) and 0 < won < 75
    assert api.get("/sales/opportunities/5000/notes/count").json()["count"] == len(
        api.get("/sales/opportunities/5000/notes").json()
    )


@pytest.mark.parametrize("path", ["/company/companies", "/sales/opportunities", "/procurement/catalog"])
def test_search_matches_get_with_conditions(api: httpx.Client, path: str) -> None:
    conditions = "id >= 0 AND (id < 3100 OR id > 5010)"
    listed = api.get(path, params={"conditions": conditions, "pageSize": 30, "orderBy": "id desc"}).json()
    searched = api.post(
        f"{path}/search", params={"pageSize": 30}, json={"conditions": conditions, "orderBy": "id desc"}
    )
    assert searched.status_code == 200
    assert searched.json() == listed
    assert links(searched)["first"].split("?")[0].endswith(f"{path}/search")
    assert api.post(f"{path}/search", json=["not", "an", "object"]).status_code == 400
