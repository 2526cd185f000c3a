"""``optima serve`` as a real process: the embedded default and the demo mode."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from optima_platform.servers import free_port


def _env(plugins: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")}
    plugins = plugins or os.environ.get("OPTIMA_TEST_PLUGINS")
    if plugins:
        env["OPTIMA_PLUGINS"] = plugins
    return env


class Served:
    def __init__(self, cwd: Path, *args: str, plugins: str | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cwd = cwd
        self.log = cwd / "serve.log"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "optima_platform", "serve", "--port", str(self.port), *args],
            cwd=cwd,
            env=_env(plugins),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )

    def wait(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"optima serve exited: {self.log.read_text()}")
            try:
                if httpx.get(f"{self.url}/v1/ready", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"optima serve did not become ready: {self.log.read_text()}")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    """Plain ``serve`` with only the core plugin: other plugins need their settings outside the demo."""
    server = Served(tmp_path, plugins="core")
    yield server
    server.stop()


def test_serve_embedded_default_answers_teapot(served: Served) -> None:
    served.wait()
    response = httpx.get(f"{served.url}/v1/teapot")
    assert response.status_code == 418
    assert response.json() == {"status": 418, "message": "I'm a teapot", "successful": False}
    assert (served.cwd / "optima.db").is_file() and (served.cwd / ".optima-secret").is_file()
    assert httpx.get(f"{served.url}/v1/schema/openapi.json").json()["info"]["title"] == "Optima API"


def test_plain_serve_refuses_an_unconfigured_plugin_in_one_line(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "optima_platform", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=_env("core,connectwise"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if (
        "connectwise"
        not in subprocess.run(
            [sys.executable, "-m", "optima_platform", "plugins", "list"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
        ).stdout
    ):
        pytest.skip("the connectwise plugin is not installed")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "optima: plugin connectwise: setting plugins.connectwise.site is required; "
        "set it in optima.toml or disable connectwise"
    ]


def test_serve_demo_prints_how_to_sign_in_and_the_cli_acts_on_its_data(tmp_path: Path) -> None:
    server = Served(tmp_path, "--demo")
    try:
        server.wait()
        log = server.log.read_text()
        assert f"Optima is serving {server.url}/v1" in log
        assert f"API docs: {server.url}/v1/schema" in log
        assert "alex.admin@contoso-msp.example" in log and "optima token issue" in log
        issued = subprocess.run(
            [sys.executable, "-m", "optima_platform", "token", "issue", "--email", "alex.admin@contoso-msp.example"],
            cwd=tmp_path,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert issued.returncode == 0, issued.stderr
        token = json.loads(issued.stdout)["accessToken"]
        me = httpx.get(f"{server.url}/v1/user/@me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200 and me.json()["data"]["roles"] == ["admin"]
        uri = httpx.get(f"{server.url}/v1/auth/uri", params={"loginHint": "sam.sales@contoso-msp.example"})
        assert uri.status_code == 200
        location = httpx.get(uri.json()["data"]["uri"], follow_redirects=False).headers["location"]
        signed_in = httpx.get(location, headers={"Accept": "application/json"})
        assert signed_in.status_code == 200 and set(signed_in.json()["data"]) == {"accessToken", "refreshToken"}
    finally:
        server.stop()
