"""Plugin discovery, enabling and disabling, requirements, settings validation."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from litestar import Response

from optima_platform.hooks.contributions import PermissionCategory, PermissionNode, PluginManifest
from optima_platform.hooks.registry import PluginError
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get
from optima_platform.settings import Settings, SettingsError, load_settings
from optima_platform.testing.fixtures import DatabaseFactory, make_settings, start_live_app
from tests.host.probe_plugin import Configured, NeedsMissing, NeedsProbe, ProbePlugin


def build(settings: Settings, *extra: object) -> Host:
    return Host.build(settings, extra_plugins=extra)


def test_core_is_discovered_through_the_entry_point() -> None:
    host = build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["core"]))
    assert "core" in host.installed and host.enabled[0] == "core"
    assert host.installed["core"].manifest.essential


def test_core_cannot_be_disabled() -> None:
    host = build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["probe"]), ProbePlugin())
    assert host.enabled == ["core", "probe"]


def test_every_installed_plugin_is_enabled_without_config() -> None:
    host = Host.build(
        Settings(database_url="sqlite+aiosqlite:///:memory:"), extra_plugins=[ProbePlugin()], introspect=True
    )
    assert set(host.enabled) == set(host.installed)


def test_missing_requirement_stops_start_up_with_one_line() -> None:
    with pytest.raises(PluginError) as info:
        build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["core", "needy"]), NeedsMissing())
    message = str(info.value)
    assert "\n" not in message
    assert message == "plugin needy: requires plugin nonexistent, which is not installed; install nonexistent"


def test_disabled_requirement_stops_start_up() -> None:
    with pytest.raises(PluginError, match="plugin dependent: requires plugin probe, which is disabled"):
        build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["dependent"]), NeedsProbe(), ProbePlugin())
    host = build(
        make_settings("sqlite+aiosqlite:///:memory:", plugins=["dependent", "probe"]), NeedsProbe(), ProbePlugin()
    )
    assert host.enabled == ["core", "probe", "dependent"]


def test_unknown_plugin_in_config_is_refused() -> None:
    with pytest.raises(PluginError, match="plugin nosuch: enabled in config but not installed"):
        build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["nosuch"]))


def test_required_setting_missing_names_plugin_and_key() -> None:
    with pytest.raises(PluginError) as info:
        build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["configured"]), Configured())
    assert str(info.value) == (
        "plugin configured: setting plugins.configured.site is required; set it in optima.toml or disable configured"
    )
    host = build(
        make_settings(
            "sqlite+aiosqlite:///:memory:", plugins=["configured"], plugin_sections={"configured": {"site": "x"}}
        ),
        Configured(),
    )
    assert host.settings_for("configured").site == "x"


def test_plugin_setting_errors_name_the_key() -> None:
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:",
        plugins=["configured"],
        plugin_sections={"configured": {"site": "x", "timeout": "soon"}},
    )
    with pytest.raises(SettingsError, match=r"plugins\.configured\.timeout"):
        build(settings, Configured())
    settings = make_settings(
        "sqlite+aiosqlite:///:memory:", plugins=["configured"], plugin_sections={"configured": {"sight": "x"}}
    )
    with pytest.raises(SettingsError, match=r"plugins\.configured\.sight"):
        build(settings, Configured())


def test_introspection_needs_no_plugin_settings() -> None:
    host = Host.build(
        make_settings("sqlite+aiosqlite:///:memory:", plugins=["configured"]),
        extra_plugins=[Configured()],
        introspect=True,
    )
    assert host.settings_for("configured").site is None
    assert [r.path for r in host.routes] == []


def test_settings_file_and_environment(tmp_path: Path) -> None:
    config = tmp_path / "optima.toml"
    config.write_text(
        'database_url = "sqlite+aiosqlite:///file.db"\n[server]\nport = 4000\n'
        '[plugins]\nenabled = ["core"]\n[plugins.configured]\nsite = "s"\n'
    )
    settings = load_settings(str(config), env={})
    assert settings.database_url == "sqlite+aiosqlite:///file.db"
    assert settings.server.port == 4000
    assert settings.plugins.enabled == ["core"]
    assert settings.section("plugins.configured") == {"site": "s"}
    env = {
        "OPTIMA_DATABASE_URL": "postgresql+asyncpg://u:pw@h/db",
        "OPTIMA_PLUGINS": "core, configured",
        "OPTIMA_REDIS_URL": "redis://localhost:6379/0",
        "OPTIMA_SECRET_KEY": "s3cret",
    }
    settings = load_settings(str(config), env=env)
    assert settings.database_url == "postgresql+asyncpg://u:pw@h/db"
    assert settings.plugins.enabled == ["core", "configured"]
    assert settings.redis_url == "redis://localhost:6379/0"
    assert settings.secret_key == "s3cret"


def test_bad_host_setting_names_the_key(tmp_path: Path) -> None:
    config = tmp_path / "optima.toml"
    config.write_text('[server]\nport = "eighty"\n')
    with pytest.raises(SettingsError, match=r"server\.port"):
        load_settings(str(config), env={})
    config.write_text("[server]\nprot = 80\n")
    with pytest.raises(SettingsError, match=r"server\.prot"):
        load_settings(str(config), env={})


def test_unknown_top_level_section_is_refused() -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", plugins=["core"], nonsense={"a": 1})
    with pytest.raises(SettingsError, match="unknown setting nonsense"):
        build(settings)


async def test_disabled_plugin_contributes_nothing(databases: DatabaseFactory) -> None:
    url = await databases.create()
    on = await start_live_app(make_settings(url, plugins=["core", "probe"]), extra_plugins=[ProbePlugin()])
    try:
        headers = await on.headers("probe.use")
        assert (await on.client.post("/v1/probe/echo", json={"name": "a"}, headers=headers)).status_code == 201
        assert "probe.use" in on.host.permissions.nodes
        assert [j.job.name for j in on.host.jobs] == ["probe.tick", "probe.failing"]
    finally:
        await on.stop()
    off = await start_live_app(make_settings(url, plugins=["core"]), extra_plugins=[ProbePlugin()])
    try:
        headers = await off.headers("*")
        response = await off.client.post("/v1/probe/echo", json={"name": "a"}, headers=headers)
        assert response.status_code == 404 and response.json()["error"] == "NotFound"
        assert "probe.use" not in off.host.permissions.nodes
        assert not any(n.startswith("obj.probe") for n in off.host.permissions.nodes)
        assert off.host.jobs == []
        plugins = (await off.client.get("/v1/plugins", headers=headers)).json()["data"]
        probe = next(p for p in plugins if p["name"] == "probe")
        assert probe == {
            "name": "probe",
            "version": "1.0",
            "description": "",
            "enabled": False,
            "essential": False,
            "requires": [],
            "routes": [],
            "permissions": [],
            "jobs": [],
            "events": [],
        }
        nodes = (await off.client.get("/v1/permissions/nodes", headers=headers)).json()["data"]
        assert not any(n["node"].startswith("probe") for n in nodes)
    finally:
        await off.stop()


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("OPTIMA_")} | (env or {})
    return subprocess.run(
        [sys.executable, "-m", "optima_platform", *args], cwd=cwd, env=full_env, capture_output=True, text=True
    )


def test_cli_routes_and_plugins_list_connect_to_nothing(tmp_path: Path) -> None:
    env = {
        "OPTIMA_DATABASE_URL": "postgresql+asyncpg://nobody@127.0.0.1:1/none",
        "OPTIMA_REDIS_URL": "redis://127.0.0.1:1",
    }
    routes = _cli("routes", "--json", cwd=tmp_path, env=env)
    assert routes.returncode == 0, routes.stderr
    rows = json.loads(routes.stdout)
    teapot = next(r for r in rows if r["path"] == "/v1/teapot")
    assert teapot["method"] == "GET" and teapot["plugin"] == "core" and teapot["auth"] == "none"
    assert {"method", "path", "plugin", "auth", "permissions"} <= set(teapot)
    listing = _cli("plugins", "list", "--json", cwd=tmp_path, env=env)
    assert listing.returncode == 0, listing.stderr
    core = next(p for p in json.loads(listing.stdout) if p["name"] == "core")
    assert core["enabled"] is True and "GET /v1/teapot" in core["routes"]
    assert not (tmp_path / "optima.db").exists()
    assert not (tmp_path / ".optima-secret").exists()


def test_cli_start_up_error_is_one_line(tmp_path: Path) -> None:
    result = _cli("routes", cwd=tmp_path, env={"OPTIMA_PLUGINS": "core,nosuch"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "optima: plugin nosuch: enabled in config but not installed; "
        "install it or remove it from [plugins] enabled / OPTIMA_PLUGINS"
    ]


def test_misspelt_plugin_section_is_refused() -> None:
    settings = make_settings("sqlite+aiosqlite:///:memory:", plugins=["core"], plugin_sections={"helo": {"a": 1}})
    with pytest.raises(SettingsError, match=r"unknown setting plugins\.helo: no installed plugin is named helo"):
        build(settings)


@get("/async/ping", permissions=["async.node"])
async def async_ping() -> Response[dict[str, object]]:
    return envelope("pong", "Pong")


class AsyncRoutes:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="asyncroutes", version="1.0")

    @hookimpl
    async def optima_routes(self) -> list[object]:
        await asyncio.sleep(0)
        return [async_ping]

    @hookimpl
    async def optima_permissions(self) -> list[PermissionCategory]:
        return [PermissionCategory("async", "Async", "Async", (PermissionNode("async.node", "n"),))]


class Duplicate:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="duplicate", version="1.0")

    @hookimpl
    def optima_permissions(self) -> list[PermissionCategory]:
        return [PermissionCategory("x", "X", "X", (PermissionNode("user.read", "again"),))]


async def test_async_contribution_hooks_are_awaited(databases: DatabaseFactory) -> None:
    app = await start_live_app(
        make_settings(await databases.create(), plugins=["asyncroutes"]), extra_plugins=[AsyncRoutes()]
    )
    try:
        assert "async.node" in app.host.permissions.nodes
        response = await app.client.get("/v1/async/ping", headers=await app.headers("async.node"))
        assert response.status_code == 200 and response.json()["data"] == "pong"
    finally:
        await app.stop()


def test_async_contribution_hooks_work_without_a_loop() -> None:
    host = build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["asyncroutes"]), AsyncRoutes())
    assert "async.node" in host.permissions.nodes


def test_duplicate_node_names_both_plugins() -> None:
    with pytest.raises(PluginError, match=r"plugin duplicate: permission node user\.read is already declared by core"):
        build(make_settings("sqlite+aiosqlite:///:memory:", plugins=["duplicate"]), Duplicate())
