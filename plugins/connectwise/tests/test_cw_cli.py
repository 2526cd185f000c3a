"""The plugin's commands as real processes: register-callbacks, the sync job, and the simulator."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cw_harness import CREDENTIALS, SECRET, new_simulator
from optima_connectwise.simulator import ConnectWiseSimulator
from optima_connectwise.simulator.testing import RunningSimulator

from optima_platform.servers import free_port


@pytest.fixture(scope="module")
def running() -> Iterator[RunningSimulator]:
    with RunningSimulator(new_simulator(seed=4, scale=0.1)) as server:
        yield server


def write_config(
    workdir: Path, site: str, *, secret: str | None = SECRET, public_url: str | None = "https://optima.example.com"
) -> None:
    lines = [
        'database_url = "sqlite+aiosqlite:///optima.db"',
        "[server]",
        *([f'public_url = "{public_url}"'] if public_url else []),
        "[plugins]",
        'enabled = ["core", "connectwise"]',
        "[plugins.connectwise]",
        f'site = "{site}"',
        f'company_id = "{CREDENTIALS.company_id}"',
        f'public_key = "{CREDENTIALS.public_key}"',
        f'private_key = "{CREDENTIALS.private_key}"',
        f'client_id = "{CREDENTIALS.client_id}"',
        "max_retries = 0",
    ]
    if secret:
        lines.append(f'callback_secret = "{secret}"')
    (workdir / "optima.toml").write_text("\n".join(lines) + "\n")


def optima(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPTIMA_", "CW_"))}
    return subprocess.run(
        [sys.executable, "-m", "optima_platform", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def our_callbacks(sim: ConnectWiseSimulator) -> list[dict[str, object]]:
    return [c for c in sim.store.records("callbacks") if "/v1/cw/callback/" in str(c["url"])]


def test_register_callbacks(running: RunningSimulator, tmp_path: Path) -> None:
    write_config(tmp_path, running.url)
    first = optima("connectwise", "register-callbacks", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert SECRET not in first.stdout
    registered = our_callbacks(running.simulator)
    assert sorted((c["type"], c["url"]) for c in registered) == [
        ("company", f"https://optima.example.com/v1/cw/callback/{SECRET}/company"),
        ("opportunity", f"https://optima.example.com/v1/cw/callback/{SECRET}/opportunity"),
    ]
    assert all(c["level"] == "owner" and c["objectId"] == 1 for c in registered)
    assert "company: callback" in first.stdout and "/v1/cw/callback/***/company" in first.stdout

    again = optima("connectwise", "register-callbacks", cwd=tmp_path)
    assert again.returncode == 0 and our_callbacks(running.simulator) == registered

    write_config(tmp_path, running.url, secret="a-rotated-secret-987654321")
    rotated = optima("connectwise", "register-callbacks", "--resource", "company", cwd=tmp_path)
    assert rotated.returncode == 0, rotated.stderr
    assert "removed stale" in rotated.stdout
    urls = sorted(str(c["url"]) for c in our_callbacks(running.simulator))
    assert urls == [
        "https://optima.example.com/v1/cw/callback/a-rotated-secret-987654321/company",
        f"https://optima.example.com/v1/cw/callback/{SECRET}/opportunity",
    ]

    elsewhere = optima(
        "connectwise",
        "register-callbacks",
        "--resource",
        "ticket",
        "--base-url",
        "https://cw-hook.example.com/",
        cwd=tmp_path,
    )
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert any(
        c["url"] == "https://cw-hook.example.com/v1/cw/callback/a-rotated-secret-987654321/ticket"
        for c in our_callbacks(running.simulator)
    )


def test_register_callbacks_needs_a_secret_and_a_reachable_connectwise(
    running: RunningSimulator, tmp_path: Path
) -> None:
    write_config(tmp_path, running.url, secret=None)
    result = optima("connectwise", "register-callbacks", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "optima: no callback secret: set [plugins.connectwise] callback_secret or CW_CALLBACK_SECRET"
    )
    write_config(tmp_path, f"http://127.0.0.1:{free_port()}")
    down = optima("connectwise", "register-callbacks", cwd=tmp_path)
    assert down.returncode == 1 and down.stderr.startswith("optima: ConnectWise: ConnectWise is unavailable")


def test_register_callbacks_refuses_without_a_public_url(running: RunningSimulator, tmp_path: Path) -> None:
    write_config(tmp_path, running.url, public_url=None)
    result = optima("connectwise", "register-callbacks", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "optima: no public URL for the callbacks: set [plugins.connectwise] callback_base_url "
        "(or [server] public_url), or pass --base-url"
    )
    assert not [c for c in our_callbacks(running.simulator) if "127.0.0.1" in str(c["url"])]
    (tmp_path / "optima.toml").write_text(
        (tmp_path / "optima.toml").read_text() + 'callback_base_url = "https://hooks.example.com"\n'
    )
    configured = optima("connectwise", "register-callbacks", "--resource", "activity", cwd=tmp_path)
    assert configured.returncode == 0, configured.stderr
    assert any(str(c["url"]).startswith("https://hooks.example.com/") for c in our_callbacks(running.simulator))


def test_jobs_run_the_company_sync(running: RunningSimulator, tmp_path: Path) -> None:
    write_config(tmp_path, running.url)
    assert optima("db", "upgrade", cwd=tmp_path).returncode == 0
    result = optima("jobs", "run", "connectwise.companies.sync", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("connectwise.companies.sync: success")
    db = sqlite3.connect(tmp_path / "optima.db")
    count = db.execute("select count(*) from companies where cw_company_id is not null").fetchone()[0]
    assert count == len(list(running.simulator.store.records("companies")))


def test_simulate_connectwise(tmp_path: Path) -> None:
    """``optima simulate connectwise``: the plugin's subcommand merged into the host's group."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "optima_platform",
            "simulate",
            "connectwise",
            "--port",
            str(port),
            "--seed",
            "9",
            "--scale",
            "0.1",
        ],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        info = None
        for _ in range(150):
            try:
                info = httpx.get(f"{url}/login/companyinfo/{CREDENTIALS.company_id}", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert info is not None and info.status_code == 200 and info.json()["Codebase"] == "v2025_1/"
        expected = new_simulator(seed=9, scale=0.1)
        default = ConnectWiseSimulator(seed=9, scale=0.1).credentials
        headers = {"Authorization": default.basic_authorization(), "clientId": default.client_id}
        companies = httpx.get(f"{url}/v2025_1/apis/3.0/company/companies/count", headers=headers, timeout=5).json()
        assert companies == {"count": expected.sizes.companies}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert f"ConnectWise simulator on {url}/v2025_1/apis/3.0 (seed 9, scale 0.1)" in output
    assert f'site = "{url}"' in output and "[plugins.connectwise]" in output
