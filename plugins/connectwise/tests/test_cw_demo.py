"""Demo mode: the hooks through a ``DemoRun``, and ``optima serve --demo`` as a real process."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import optima_connectwise.plugin as plugin
import pytest

from optima_platform.demo import DemoRun
from optima_platform.servers import free_port
from optima_platform.testing.fixtures import DatabaseFactory, make_settings, start_live_app

SECTION = "plugins.connectwise"


async def test_demo_hooks_serve_the_simulator_and_deliver_callbacks(
    databases: DatabaseFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CW_CALLBACK_SECRET", raising=False)
    run = DemoRun()
    try:
        await plugin.optima_demo_prepare(run.for_plugin("connectwise", SECTION))
        section = run.overrides[SECTION]
        assert section["site"].startswith("http://127.0.0.1:") and len(section["callback_secret"]) >= 16
        live = await start_live_app(run.apply(make_settings(await databases.create(), plugins=["core", "connectwise"])))
        try:
            await plugin.optima_demo_seed(live.host, run.for_plugin("connectwise", SECTION))
            assert any(section["callback_secret"] in line for line in run.lines)
            assert any("ConnectWise simulator:" in line for line in run.lines)

            headers = await live.headers("company.fetch.many", "company.fetch", "obj.company.*")
            listed = (await live.client.get("/v1/company/companies", params={"rpp": 200}, headers=headers)).json()
            assert listed["pagination"]["totalRecords"] > 10
            assert all(c["cw_CompanyId"] for c in listed["data"])
            members = (await live.client.get("/v1/cw/members", headers=headers)).json()["data"]
            assert members and all(m["inactive"] is False for m in members)

            # the registered callbacks point at the app: a change in the simulator shows at once
            target = listed["data"][0]
            async with httpx.AsyncClient(base_url=section["site"]) as sim:
                touched = await sim.post(
                    "/__sim__/touch",
                    json={"kind": "company", "id": target["cw_CompanyId"], "changes": {"name": "Demo Renamed"}},
                )
                assert touched.status_code == 200, touched.text
                deliveries = (await sim.get("/__sim__/callbacks")).json()["deliveries"]
            assert deliveries and all(d["status"] == 200 for d in deliveries)
            assert all(d["url"].startswith(f"{live.url}/v1/cw/callback/") for d in deliveries)
            fetched = await live.client.get(f"/v1/company/companies/{target['id']}", headers=headers)
            assert fetched.json()["data"]["name"] == "Demo Renamed"

            # seeding again (a restart on the same database) duplicates nothing
            await plugin.optima_demo_seed(live.host, run.for_plugin("connectwise", SECTION))
            again = (await live.client.get("/v1/company/companies", params={"rpp": 200}, headers=headers)).json()
            assert again["pagination"]["totalRecords"] == listed["pagination"]["totalRecords"]
        finally:
            await live.stop()
    finally:
        await run.stop()


class Served:
    """``optima serve --demo`` in a subprocess, its output collected by a thread."""

    def __init__(self, workdir: Path, env: dict[str, str], port: int) -> None:
        self.workdir, self.env, self.port = workdir, env, port
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "optima_platform", "serve", "--demo", "--port", str(port)],
            cwd=workdir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text: str, timeout: float = 90) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = next((line for line in self.lines if text in line), None)
            if found is not None:
                return found
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise AssertionError(f"no {text!r} in the output:\n" + "\n".join(self.lines[-60:]))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture()
async def served(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Served]:
    port = free_port()
    config = [
        f'database_url = "{await databases.create()}"',
        f'cache_prefix = "optima-demo-{secrets.token_hex(4)}"',
    ]
    if os.environ.get("OPTIMA_TEST_REDIS_URL"):
        config.append(f'redis_url = "{os.environ["OPTIMA_TEST_REDIS_URL"]}"')
    config += ["[plugins]", 'enabled = ["core", "connectwise"]', "[jobs]", "enabled = true"]
    (tmp_path / "optima.toml").write_text("\n".join(config) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIMA_", "CW_"))}
    server = Served(tmp_path, env, port)
    try:
        yield server
    finally:
        server.stop()


def test_optima_serve_demo_serves_the_simulators_companies_and_members(served: Served) -> None:
    secret_line = served.wait_for("ConnectWise callback secret:")
    secret = secret_line.rsplit(":", 1)[1].strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{16,}", secret)
    served.wait_for(f"Optima is serving http://127.0.0.1:{served.port}/v1")
    issued = subprocess.run(
        [sys.executable, "-m", "optima_platform", "token", "issue", "--email", "demo@example.com", "--role", "admin"],
        cwd=served.workdir,
        env={**served.env, "OPTIMA_PLUGINS": "core"},  # the demo's ConnectWise settings exist only in the server
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert issued.returncode == 0, issued.stderr
    token = json.loads(issued.stdout)["accessToken"]
    base = f"http://127.0.0.1:{served.port}/v1"
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        companies = client.get("/company/companies", params={"rpp": 200}).json()
        assert companies["successful"] is True and companies["pagination"]["totalRecords"] > 10
        assert all(isinstance(c["cw_CompanyId"], int) for c in companies["data"])
        members = client.get("/cw/members").json()
        assert members["message"] == "CW members fetched successfully!" and len(members["data"]) > 3
        sites = client.get(f"/company/companies/{companies['data'][0]['id']}/sites").json()
        assert sites["successful"] is True
        refused = client.post("/cw/callback/not-the-secret-at-all/company", json={"ID": 1})
        assert refused.status_code == 403
        accepted = client.post(f"/cw/callback/{secret}/ticket", json={"ID": 1, "Action": "updated"})
        assert accepted.status_code == 200 and accepted.json()["data"]["summary"]["id"] == 1
