"""ConnectWise simulator: every fault type, switched from Python and over ``/__sim__/faults``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from optima_connectwise.simulator import ConnectWiseSimulator, create_connectwise_simulator
from optima_connectwise.simulator.faults import FaultControls
from optima_connectwise.simulator.testing import RunningSimulator

from optima_platform.servers import free_port


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    with RunningSimulator(create_connectwise_simulator(seed=2, scale=0.1)) as server:
        yield server


@pytest.fixture()
def sim(running: RunningSimulator) -> Iterator[ConnectWiseSimulator]:
    running.simulator.faults.reset()
    yield running.simulator
    running.simulator.faults.reset()


@pytest.fixture()
def api(running: RunningSimulator, sim: ConnectWiseSimulator) -> Iterator[httpx.Client]:
    with running.client() as client:
        yield client


def statuses(api: httpx.Client, calls: int, path: str = "/system/members") -> list[int]:
    return [api.get(path).status_code for _ in range(calls)]


def test_error_rate_is_deterministic(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.set(error_rate=0.5)
    assert statuses(api, 6) == [200, 500, 200, 500, 200, 500]
    sim.faults.set(error_rate=0.25)
    assert statuses(api, 8).count(500) == 2
    failure = next(r for r in (api.get("/system/members") for _ in range(4)) if r.status_code == 500)
    assert failure.json() == {
        "code": "ConnectWiseApi",
        "message": "An error occurred, please try again.",
        "errors": None,
    }
    assert failure.headers["api-current-version"] == "2025.1"


def test_error_burst(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.fail(2)
    assert statuses(api, 4) == [500, 500, 200, 200]
    assert sim.faults.injected["error"] == 2


def test_latency(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.set(latency=0.25)
    started = time.perf_counter()
    assert api.get("/system/members").status_code == 200
    assert time.perf_counter() - started >= 0.25
    sim.faults.set(latency=0)
    started = time.perf_counter()
    api.get("/system/members")
    assert time.perf_counter() - started < 0.25


def test_throttle_burst_answers_429_with_retry_after(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.throttle(2, retry_after=7)
    first = api.get("/company/companies")
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert first.json() == {"error": "ConnectWiseAPI", "message": "Too many requests. Please try again in 7 seconds."}
    assert api.get("/company/companies").status_code == 429
    assert api.get("/company/companies").status_code == 200


def test_timeout_hangs_a_call_then_recovers(sim: ConnectWiseSimulator, running: RunningSimulator) -> None:
    sim.faults.set(timeout=3.0)
    with running.client(timeout=0.3) as client:
        started = time.perf_counter()
        with pytest.raises(httpx.ReadTimeout):
            client.get("/system/members")
        assert time.perf_counter() - started < 1.5
        started = time.perf_counter()
        assert client.get("/system/members").status_code == 200
        assert time.perf_counter() - started < 0.3
    assert sim.faults.settings.timeout_burst == 0


def test_hang_answers_normally_when_the_client_waits(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.hang(0.3, calls=2)
    started = time.perf_counter()
    assert statuses(api, 3) == [200, 200, 200]
    assert 0.6 <= time.perf_counter() - started < 2.0


def test_malformed_bodies(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.malform(1)
    broken = api.get("/company/companies/count")
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    sim.faults.malform(1)
    deleted = api.delete("/company/companies/999999")
    assert deleted.status_code == 200 and deleted.content
    with pytest.raises(json.JSONDecodeError):
        json.loads(deleted.content)
    assert api.get("/company/companies/count").json()["count"] > 0


def test_faults_apply_before_auth_and_only_to_the_api(sim: ConnectWiseSimulator, running: RunningSimulator) -> None:
    sim.faults.throttle(1)
    assert httpx.get(f"{running.url}/login/companyinfo/optima").status_code == 200
    assert httpx.get(f"{running.api_url}/system/members").status_code == 429
    assert httpx.get(f"{running.api_url}/system/members").status_code == 401


def test_path_filter(sim: ConnectWiseSimulator, api: httpx.Client) -> None:
    sim.faults.set(error_rate=1.0, path_contains="/procurement/")
    assert api.get("/system/members").status_code == 200
    assert api.get("/procurement/catalog").status_code == 500


def test_faults_over_http(sim: ConnectWiseSimulator, running: RunningSimulator, api: httpx.Client) -> None:
    control = f"{running.url}/__sim__/faults"
    changed = httpx.post(control, json={"throttle_burst": 1, "retry_after": 3, "latency": 0.01})
    assert changed.status_code == 200
    assert changed.json()["throttle_burst"] == 1 and changed.json()["retry_after"] == 3
    assert httpx.get(control).json() == sim.faults.as_dict()
    throttled = api.get("/system/members")
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "3"
    assert httpx.post(control, json={"malformed": 2}).json()["malformed"] == 2
    assert httpx.delete(control).status_code == 204
    assert sim.faults.as_dict() == FaultControls().as_dict()
    assert api.get("/system/members").status_code == 200
    for bad in ({"nonsense": 1}, {"error_rate": 2}, {"latency": -1}, {"throttle_burst": "lots"}, [1, 2]):
        response = httpx.post(control, json=bad)
        assert response.status_code == 400, bad
        assert response.json()["code"] == "InvalidObject"
    assert sim.faults.as_dict() == FaultControls().as_dict()


def test_fault_settings_validation() -> None:
    faults = FaultControls()
    with pytest.raises(ValueError, match="unknown fault"):
        faults.set(explode=True)
    with pytest.raises(ValueError, match="between 0 and 1"):
        faults.set(error_rate=1.5)
    with pytest.raises(ValueError, match="non-negative"):
        faults.set(malformed=1.5)
    faults.set(timeout=2)
    assert faults.settings.timeout_burst == 1
    assert faults.plan("/x").hang == 2 and faults.plan("/x").hang == 0


def test_out_of_process_simulator_is_controlled_over_http() -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "optima_connectwise.simulator", "--port", str(port), "--scale", "0.1", "--seed", "3"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        root = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while True:
            try:
                if httpx.get(f"{root}/login/companyinfo/optima").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "simulator did not start"
            time.sleep(0.05)
        sim = create_connectwise_simulator(seed=3, scale=0.1)
        headers = RunningSimulator(sim).headers()
        api = f"{root}/v2025_1/apis/3.0"
        assert httpx.post(f"{root}/__sim__/faults", json={"error_burst": 1}).status_code == 200
        assert httpx.get(f"{api}/company/companies/256", headers=headers).status_code == 500
        remote = httpx.get(f"{api}/company/companies/256", headers=headers).json()
        local = sim.get("company", 256) or {}
        for field in ("identifier", "name", "addressLine1", "phoneNumber"):
            assert remote[field] == local[field]
        assert remote["_info"]["lastUpdated"] == local["_info"]["lastUpdated"]
        assert remote["country"]["_info"]["country_href"] == f"{api}/company/countries/1"
    finally:
        process.terminate()
        process.wait(timeout=10)
