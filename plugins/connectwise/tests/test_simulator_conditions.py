"""ConnectWise simulator: the conditions language, parsed directly and applied over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from optima_connectwise.simulator import create_connectwise_simulator
from optima_connectwise.simulator.conditions import ConditionError, compile_conditions, parse, tokenize
from optima_connectwise.simulator.schema import FieldSchema
from optima_connectwise.simulator.testing import RunningSimulator

RECORDS: list[dict[str, Any]] = [
    {
        "id": 1,
        "name": 'Acme "Quoted" Corp',
        "revenue": 10.5,
        "inactiveFlag": False,
        "status": {"id": 1, "name": "Active"},
        "_info": {"lastUpdated": "2026-02-20T18:04:26Z"},
        "items": [{"kind": "Email", "value": "a@acme.example"}],
    },
    {
        "id": 2,
        "name": "Beta Dental",
        "revenue": 99,
        "inactiveFlag": True,
        "status": {"id": 2, "name": "Inactive"},
        "_info": {"lastUpdated": "2025-01-01T00:00:00Z"},
        "items": [{"kind": "Phone", "value": "2705550101"}],
    },
    {
        "id": 3,
        "name": "C:\\Share\\Corp",
        "inactiveFlag": False,
        "status": {"id": 1, "name": "Active"},
        "_info": {"lastUpdated": "2026-03-01T00:00:00Z"},
        "items": [],
    },
]
SCHEMA = FieldSchema.learn(RECORDS)


def ids(text: str, *, child: bool = False) -> list[int]:
    predicate = compile_conditions(text, SCHEMA, child=child)
    return [record["id"] for record in RECORDS if predicate(record)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id = 1", [1]),
        ("id != 1", [2, 3]),
        ("id < 2", [1]),
        ("id <= 2", [1, 2]),
        ("id > 2", [3]),
        ("id >= 2", [2, 3]),
        ("revenue > 10", [1, 2]),
        ("revenue = 10.5", [1]),
        ('name = "beta dental"', [2]),
        ('name contains "dent"', [2]),
        ('name like "Beta*"', [2]),
        ('name like "%Corp"', [1, 3]),
        ('name like "beta"', []),
        ('name not like "Beta*"', [1, 3]),
        ('name not contains "corp"', [2]),
        ("id in (1, 3)", [1, 3]),
        ("id not in (1,3)", [2]),
        ('status/name in ("Active")', [1, 3]),
        ("inactiveFlag = True", [2]),
        ("inactiveFlag = false", [1, 3]),
        ("status/id = 1", [1, 3]),
        ("_info/lastUpdated > [2026-01-01T00:00:00Z]", [1, 3]),
        ("_info/lastUpdated >= [2026-02-20T18:04:26Z]", [1, 3]),
        ("_info/lastUpdated < [2026-02-20]", [2]),
        ("id = 1 OR id = 2 AND inactiveFlag = False", [1]),
        ("(id = 1 OR id = 2) AND inactiveFlag = False", [1]),
        ("id = 1 or (id = 2 and inactiveFlag = true)", [1, 2]),
        ("NOT (status/id = 1)", [2]),
        ("not id = 2 and not id = 3", [1]),
        ('name = "Acme \\"Quoted\\" Corp"', [1]),
        ('name = "C:\\\\Share\\\\Corp"', [3]),
        ("revenue = null", [3]),
        ("revenue != null", [1, 2]),
        ("revenue < 50", [1]),
        ("NOT revenue < 50", [2]),
        ("company/id=5", None),
    ],
)
def test_operators_and_logic(text: str, expected: list[int] | None) -> None:
    if expected is None:
        with pytest.raises(ConditionError, match="Unknown field 'company/id'"):
            ids(text)
    else:
        assert ids(text) == expected


def test_child_conditions_reach_into_lists() -> None:
    assert ids('items/kind = "Email"', child=True) == [1]
    assert ids('items/value like "270*"', child=True) == [2]
    with pytest.raises(ConditionError, match="childConditions"):
        ids('items/kind = "Email"')


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "Empty conditions"),
        ("id =", "Expected a value after '='"),
        ("id = 1 AND", "Unexpected end"),
        ("(id = 1", "Missing ')'"),
        ("id = 1)", "Unexpected ')'"),
        ('name = "open', "Unterminated string"),
        ("name = Acme", 'quote strings ("Acme")'),
        ("id == 1", "Expected a value after '='"),
        ("id <> 1", "Unsupported operator '<>'"),
        ("id ! 1", "did you mean '!='"),
        ('id = "1"', "needs a bare number"),
        ("name = 5", "needs a quoted string"),
        ('_info/lastUpdated > "2026-01-01"', "datetime in brackets"),
        ("_info/lastUpdated > [yesterday]", "Invalid datetime"),
        ("_info/lastUpdated > [2026-01-01", "missing ']'"),
        ("inactiveFlag > True", "use = or !="),
        ("inactiveFlag = 1", "needs True or False"),
        ("status = 1", "is an object"),
        ("items = 1", "is a list"),
        ("id in 1", "parenthesised list"),
        ('id in (1, "2")', "one type"),
        ("id in ()", "Expected a value"),
        ("id like 1", "quoted string"),
        ('name not = "x"', "'not' must be followed by like, contains or in"),
        ('Name = "x"', "Unknown field 'Name'"),
        ("id = 1 id = 2", "expected AND, OR or the end"),
        ("id = 12abc", "Invalid number"),
        ("id = 1 # 2", "Unexpected character '#'"),
        ("revenue > null", "null can only be compared"),
    ],
)
def test_malformed_conditions_name_the_problem(text: str, fragment: str) -> None:
    with pytest.raises(ConditionError) as caught:
        ids(text)
    assert fragment in str(caught.value)


def test_tokens_carry_positions_and_keywords_are_case_insensitive() -> None:
    tokens = tokenize('company/id=250 AnD name LIKE "x"')
    assert [token.kind for token in tokens] == ["field", "operator", "number", "and", "field", "like", "str"]
    assert tokens[2].position == 11
    assert parse("a = 1 or b = 2").operator == "or"  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------- HTTP


@pytest.fixture(scope="module")
def api() -> Iterator[httpx.Client]:
    sim = create_connectwise_simulator(seed=3, scale=0.3)
    with RunningSimulator(sim) as running, running.client() as client:
        yield client


def query(api: httpx.Client, path: str, conditions: str, **params: Any) -> httpx.Response:
    return api.get(path, params={"conditions": conditions, "pageSize": 1000, **params})


def test_reference_conditions_over_http(api: httpx.Client) -> None:
    contacts = query(api, "/company/contacts", "company/id = 256").json()
    assert contacts and all(contact["company"]["id"] == 256 for contact in contacts)
    configurations = query(api, "/company/configurations", "company/id=256 or company/id=257").json()
    assert {item["company"]["id"] for item in configurations} <= {256, 257}
    opportunities = query(api, "/sales/opportunities", "status/id in (29,53)").json()
    assert opportunities and {item["status"]["id"] for item in opportunities} <= {29, 53}
    assert all(item["closedFlag"] for item in opportunities)


def test_date_conditions_over_http(api: httpx.Client) -> None:
    everything = api.get("/company/companies", params={"pageSize": 1000}).json()
    cutoff = sorted(company["_info"]["lastUpdated"] for company in everything)[len(everything) // 2]
    newer = query(api, "/company/companies", f"_info/lastUpdated > [{cutoff}]").json()
    assert newer and all(company["_info"]["lastUpdated"] > cutoff for company in newer)
    assert len(newer) < len(everything)


def test_string_escapes_and_wildcards_over_http(api: httpx.Client) -> None:
    created = api.post(
        "/company/companies", json={"identifier": "QuoteCo", "name": 'The "Quote" Co', "site": None}
    ).json()
    found = query(api, "/company/companies", 'name = "The \\"Quote\\" Co"').json()
    assert [company["id"] for company in found] == [created["id"]]
    assert [c["id"] for c in query(api, "/company/companies", 'name like "*\\"quote\\"*"').json()] == [created["id"]]
    assert query(api, "/company/companies", 'identifier contains "quoteco"').json()[0]["id"] == created["id"]


def test_malformed_conditions_answer_400_invalid_object(api: httpx.Client) -> None:
    response = query(api, "/company/companies", 'name = "unterminated')
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "InvalidObject"
    assert "Unterminated string" in body["message"]
    assert body["errors"][0]["field"] == "conditions"
    assert query(api, "/company/companies/count", "nosuchfield = 1").status_code == 400
    search = api.post("/sales/opportunities/search", json={"conditions": "status/id = "})
    assert search.status_code == 400 and "Expected a value" in search.json()["message"]


def test_child_and_custom_field_conditions_over_http(api: httpx.Client) -> None:
    contacts = api.get(
        "/company/contacts",
        params={"childConditions": 'communicationItems/type/name = "Cell"', "pageSize": 1000},
    ).json()
    assert contacts
    assert all(any(item["type"]["name"] == "Cell" for item in c["communicationItems"]) for c in contacts)
    misplaced = query(api, "/company/contacts", 'communicationItems/value like "*@*"')
    assert misplaced.status_code == 400 and "childConditions" in misplaced.json()["message"]
    tagged = api.get(
        "/sales/activities",
        params={"customFieldConditions": 'caption = "Optima_Type" AND value = "Quote Sent"', "pageSize": 1000},
    ).json()
    assert tagged
    for activity in tagged:
        assert any(f["caption"] == "Optima_Type" and f["value"] == "Quote Sent" for f in activity["customFields"])
