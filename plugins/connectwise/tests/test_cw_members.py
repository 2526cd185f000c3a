"""``GET /v1/cw/members`` and the member job, against the ConnectWise simulator over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
from cw_harness import CWEnv, cw_env, run_job
from optima_connectwise.jobs import MEMBERS_JOB
from optima_connectwise.services import members as svc

from optima_platform.testing.fixtures import DatabaseFactory


@pytest.fixture(scope="module")
async def env(databases: DatabaseFactory) -> AsyncIterator[CWEnv]:
    async with cw_env(databases, seed=3, scale=0.2) as running:
        yield running


@pytest.fixture(autouse=True)
def no_faults(env: CWEnv) -> None:
    env.sim.faults.reset()


def expected_members(env: CWEnv, *, active_only: bool) -> list[dict[str, object]]:
    rows = []
    for m in env.sim.store.records("members"):
        if active_only and m.get("inactiveFlag"):
            continue
        name = " ".join(p for p in (m.get("firstName"), m.get("lastName")) if p) or m["identifier"]
        rows.append(
            {
                "id": m["id"],
                "identifier": m["identifier"],
                "firstName": m.get("firstName"),
                "lastName": m.get("lastName"),
                "name": name,
                "officeEmail": m.get("officeEmail"),
                "inactive": bool(m.get("inactiveFlag")),
            }
        )
    return sorted(rows, key=lambda r: (str(r["name"]).casefold(), r["id"]))


async def test_members_sorted_active_only_by_default(env: CWEnv) -> None:
    headers = await env.live.headers()
    response = await env.live.client.get("/v1/cw/members", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == 200 and body["successful"] is True
    assert body["message"] == "CW members fetched successfully!"
    data = body["data"]
    assert data == expected_members(env, active_only=True)
    assert [m["name"] for m in data] == sorted((m["name"] for m in data), key=str.casefold)
    assert all(m["inactive"] is False for m in data)
    # a member without a last name (ConnectWise omits the field) is named by what it has
    warehouse = next(m for m in data if m["identifier"] == "warehouse")
    assert warehouse["lastName"] is None and warehouse["name"] == "Warehouse"


async def test_active_false_includes_inactive(env: CWEnv) -> None:
    headers = await env.live.headers()
    response = await env.live.client.get("/v1/cw/members", params={"active": "false"}, headers=headers)
    assert response.status_code == 200
    data = response.json()["data"]
    assert data == expected_members(env, active_only=False)
    assert any(m["inactive"] for m in data)
    explicit = await env.live.client.get("/v1/cw/members", params={"active": "true"}, headers=headers)
    assert explicit.json()["data"] == expected_members(env, active_only=True)


async def test_active_is_any_string_and_only_false_includes_inactive(env: CWEnv) -> None:
    headers = await env.live.headers()
    for value, active_only in (("maybe", True), ("", True), ("0", True), ("FALSE", False), ("False", False)):
        response = await env.live.client.get("/v1/cw/members", params={"active": value}, headers=headers)
        assert response.status_code == 200, (value, response.text)
        assert response.json()["data"] == expected_members(env, active_only=active_only), value


async def test_unauthenticated_is_401(env: CWEnv) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}):
        response = await env.live.client.get("/v1/cw/members", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"] == "Unauthorized"


async def test_served_from_the_cache_until_the_job_refreshes_it(env: CWEnv) -> None:
    headers = await env.live.headers()
    await run_job(env, MEMBERS_JOB)
    await env.sim.touch("member", 102, firstName="Kevan")
    cached = (await env.live.client.get("/v1/cw/members", headers=headers)).json()["data"]
    assert next(m for m in cached if m["id"] == 102)["firstName"] == "Kevin"

    await run_job(env, MEMBERS_JOB)
    fresh = (await env.live.client.get("/v1/cw/members", headers=headers)).json()["data"]
    assert next(m for m in fresh if m["id"] == 102)["name"] == "Kevan Robinson"
    assert fresh == expected_members(env, active_only=True)


async def test_connectwise_down_serves_the_cached_list_and_keeps_it(env: CWEnv) -> None:
    headers = await env.live.headers()
    await run_job(env, MEMBERS_JOB)
    before = (await env.live.client.get("/v1/cw/members", headers=headers)).json()["data"]
    env.sim.faults.set(error_rate=1.0)
    status = await env.live.host.scheduler.run_once(MEMBERS_JOB)  # the scheduler records the failure
    assert status.last_outcome == "failure" and "ConnectWiseUnavailable" in (status.last_error or "")
    response = await env.live.client.get("/v1/cw/members", headers=headers)
    assert response.status_code == 200 and response.json()["data"] == before


async def test_missing_cache_is_filled_on_demand_and_failure_is_the_answer(env: CWEnv) -> None:
    headers = await env.live.headers()
    store = env.live.host.store("connectwise")
    await store.delete(svc.CACHE_KEY)
    env.sim.faults.set(error_rate=1.0)
    failed = await env.live.client.get("/v1/cw/members", headers=headers)
    assert failed.status_code == 502
    assert failed.json()["error"] == "ConnectWiseUnavailable" and failed.json()["successful"] is False
    assert await store.get(svc.CACHE_KEY) is None
    env.sim.faults.reset()
    response = await env.live.client.get("/v1/cw/members", headers=headers)
    assert response.status_code == 200 and response.json()["data"] == expected_members(env, active_only=True)
    assert await store.get(svc.CACHE_KEY) is not None


async def test_a_stale_cache_is_refreshed_on_request(env: CWEnv) -> None:
    headers = await env.live.headers()
    await run_job(env, MEMBERS_JOB)
    await env.sim.touch("member", 104, lastName="Flores-Diaz")
    store = env.live.host.store("connectwise")
    entry = await svc.cached_members(env.live.host)
    assert entry is not None
    entry.fetched_at = entry.fetched_at.replace(year=entry.fetched_at.year - 1)
    await store.set(svc.CACHE_KEY, msgspec.json.encode(entry))
    data = (await env.live.client.get("/v1/cw/members", headers=headers)).json()["data"]
    assert next(m for m in data if m["id"] == 104)["name"] == "Ximena Flores-Diaz"
