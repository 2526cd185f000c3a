"""The CLI on a real working directory: db upgrade/current, token issue, jobs, apikey, --help."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def optima(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")}
    base["OPTIMA_PLUGINS"] = "core"
    return subprocess.run(
        [sys.executable, "-m", "optima_platform", *args],
        cwd=cwd,
        env=base | (env or {}),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cli")


def test_help_lists_the_commands(workdir: Path) -> None:
    result = optima("--help", cwd=workdir)
    assert result.returncode == 0
    for command in ("serve", "db", "plugins", "routes", "jobs", "token", "apikey", "simulate"):
        assert f"  {command} " in result.stdout
    serve = optima("serve", "--help", cwd=workdir)
    assert "--demo" in serve.stdout and "--port" in serve.stdout and "--config" in serve.stdout


def test_db_upgrade_and_current(workdir: Path) -> None:
    upgraded = optima("db", "upgrade", cwd=workdir)
    assert upgraded.returncode == 0, upgraded.stderr
    assert (workdir / "optima.db").is_file()
    current = json.loads(optima("db", "current", "--json", cwd=workdir).stdout)
    assert current["core"]["current"] == current["core"]["head"] == "core_0001"
    assert current["host"]["current"] == "host_0001"


def test_token_issue_adds_and_never_removes(workdir: Path) -> None:
    first = optima("token", "issue", "--email", "Ops@Example.com", "--role", "admin", cwd=workdir)
    assert first.returncode == 0, first.stderr
    issued = json.loads(first.stdout)
    assert set(issued) == {"userId", "accessToken", "refreshToken"}
    again = json.loads(
        optima("token", "issue", "--email", "ops@example.com", "--permission", "company.fetch", cwd=workdir).stdout
    )
    assert again["userId"] == issued["userId"]
    import sqlite3

    db = sqlite3.connect(workdir / "optima.db")
    perms = db.execute("select permissions from users where id = ?", (issued["userId"],)).fetchone()[0]
    roles = db.execute(
        "select r.moniker from roles r join user_roles ur on ur.role_id = r.id where ur.user_id = ?",
        (issued["userId"],),
    ).fetchall()
    assert json.loads(perms) == ["company.fetch"] and roles == [("admin",)]
    unknown = optima("token", "issue", "--email", "x@example.com", "--role", "nosuch", cwd=workdir)
    assert unknown.returncode == 1 and "Role 'nosuch' was not found." in unknown.stderr
    assert (workdir / ".optima-secret").stat().st_mode & 0o077 == 0


def test_apikey_create_and_revoke(workdir: Path) -> None:
    created = optima("apikey", "create", "--email", "ops@example.com", "--name", "sync", cwd=workdir)
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert key["key"].startswith("opk_") and key["prefix"] in key["key"]
    revoked = optima("apikey", "revoke", key["prefix"], cwd=workdir)
    assert revoked.returncode == 0
    assert optima("apikey", "revoke", key["prefix"], cwd=workdir).returncode == 1


def test_jobs_list_and_unknown_job(workdir: Path) -> None:
    listed = optima("jobs", "list", "--json", cwd=workdir)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    missing = optima("jobs", "run", "nosuch", cwd=workdir)
    assert missing.returncode == 2 and "no job nosuch" in missing.stderr
