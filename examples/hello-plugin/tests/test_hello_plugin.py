"""The hello plugin as the host sees it: discovery, migrations, scheduled jobs, settings, on/off, demo."""

from __future__ import annotations

import asyncio
import time
from importlib.metadata import entry_points

import optima_hello.plugin
import pytest
from sqlalchemy import inspect

from optima_platform.db import migrations
from optima_platform.demo import DemoRun
from optima_platform.hooks.registry import PluginError
from optima_platform.host import Host
from optima_platform.jobs.scheduler import JobBusy
from optima_platform.settings import Settings, SettingsError
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, migrated, start_live_app


async def table_names(host: Host) -> set[str]:
    async with host.db.engine.connect() as conn:
        return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


def hello_settings(plugins: list[str] | None = None, **values: object) -> Settings:
    """Settings with a ``[plugins.hello]`` table holding ``values``."""
    return make_settings("sqlite+aiosqlite://", plugins=plugins or ["core", "hello"], plugin_sections={"hello": values})


def test_discovered_through_its_entry_point() -> None:
    found = {ep.name: ep.value for ep in entry_points(group="optima.plugins")}
    assert found.get("hello") == "optima_hello.plugin", "pip install -e examples/hello-plugin first"
    host = Host.build(make_settings("sqlite+aiosqlite://", plugins=["core", "hello"]))
    assert host.installed["hello"].module is optima_hello.plugin
    assert host.enabled == ["core", "hello"]
    manifest = host.installed["hello"].manifest
    assert (manifest.name, manifest.requires, manifest.section) == ("hello", ("core",), "plugins.hello")
    assert [lineage.plugin for lineage in host.lineages] == ["host", "core", "hello"]
    assert [job.name for job in host.jobs_of("hello")] == ["hello.tally"]
    assert host.realtime.events_of("hello") == ["/hello hello:ping"]


async def test_migration_ran_and_models_agree(databases: DatabaseFactory) -> None:
    host = await migrated(make_settings(await databases.create(), plugins=["core", "hello"]))
    try:
        state = await migrations.current(host.db, host.lineages)
        assert state["hello"] == {"current": "hello_0001", "head": "hello_0001"}
        assert {"hello_greetings", "alembic_version_hello"} <= await table_names(host)
        lineage = next(lin for lin in host.lineages if lin.plugin == "hello")
        assert lineage.version_table == "alembic_version_hello"
        assert await migrations.differences(host.db, lineage) == []
        await migrations.downgrade(host.db, lineage, "base")
        assert "hello_greetings" not in await table_names(host)
        assert (await migrations.current(host.db, host.lineages))["core"]["current"] == "core_0001"
    finally:
        await host.stop()


async def test_the_scheduler_runs_the_job_once_across_the_lease(databases: DatabaseFactory) -> None:
    url = await databases.create()
    first = await start_live_app(make_settings(url, plugins=["core", "hello"]))
    try:
        headers = await first.headers("hello.greet")
        for name in ("Ada", "Grace"):
            response = await first.client.post("/v1/hello/greetings", json={"name": name}, headers=headers)
            assert response.status_code == 201
    finally:
        await first.stop()

    jobs = {"enabled": True, "tick_seconds": 0.2}
    app = await start_live_app(make_settings(url, plugins=["core", "hello"], jobs=jobs))
    try:
        headers = await app.headers("hello.tally.fetch")
        deadline = time.monotonic() + 15
        while True:
            tally = (await app.client.get("/v1/hello/tally", headers=headers)).json()["data"]
            if tally["count"] is not None or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert tally["count"] == 2
        status = (await app.host.scheduler.statuses())["hello.tally"]
        assert status.plugin == "hello" and status.last_outcome == "success" and status.runs == 1
        with pytest.raises(JobBusy):  # the scheduled run holds the lease for its 60 s interval
            await app.host.scheduler.run_once("hello.tally")
    finally:
        await app.stop()


async def test_disabled_plugin_contributes_nothing(databases: DatabaseFactory) -> None:
    app: LiveApp = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    try:
        assert "hello" in app.host.installed and app.host.enabled == ["core"]
        headers = await app.headers("*")
        for method, path in (
            ("POST", "/v1/hello/greetings"),
            ("GET", "/v1/hello/greetings"),
            ("GET", "/v1/hello/tally"),
        ):
            response = await app.client.request(method, path, json={"name": "x"}, headers=headers)
            assert response.status_code == 404
            assert response.json()["error"] == "NotFound"
        nodes = set(app.host.permissions.nodes)
        assert not {n for n in nodes if n.startswith(("hello.", "obj.greeting."))}
        catalogue = (await app.client.get("/v1/permissions", headers=headers)).json()["data"]
        assert "hello" not in catalogue
        rows = {row["name"]: row for row in (await app.client.get("/v1/plugins", headers=headers)).json()["data"]}
        assert rows["hello"]["enabled"] is False
        assert rows["hello"]["routes"] == [] and rows["hello"]["permissions"] == [] and rows["hello"]["jobs"] == []
        assert "hello.tally" not in app.host.scheduler.jobs
        assert [lineage.plugin for lineage in app.host.lineages] == ["host", "core"]
        assert "hello_greetings" not in await table_names(app.host)
    finally:
        await app.stop()


def test_settings_section_is_validated() -> None:
    host = Host.build(hello_settings(greeting="Hi", punctuation="."))
    assert host.settings_for("hello").greeting == "Hi"
    assert optima_hello.plugin.optima_enrich_company(host, {"name": "Acme"}, frozenset()) == {"greeting": "Hi, Acme."}

    with pytest.raises(PluginError) as missing:
        Host.build(hello_settings(greeting=""))
    message = str(missing.value)
    assert "\n" not in message
    assert message == (
        "plugin hello: setting plugins.hello.greeting is required; set it in optima.toml or disable hello"
    )

    with pytest.raises(SettingsError) as unknown:
        Host.build(hello_settings(colour="red"))
    assert str(unknown.value) == "invalid setting plugins.hello.colour: unknown setting"
    with pytest.raises(SettingsError) as wrong_type:
        Host.build(hello_settings(greeting=3))
    assert str(wrong_type.value) == "invalid setting plugins.hello.greeting: Expected `str`, got `int`"

    # Disabled, the plugin's section is not validated at all.
    assert Host.build(hello_settings(["core"], greeting="", colour="red")).enabled == ["core"]


async def test_demo_hooks(databases: DatabaseFactory) -> None:
    run = DemoRun()
    optima_hello.plugin.optima_demo_prepare(run.for_plugin("hello", "plugins.hello"))
    settings = run.apply(make_settings(await databases.create(), plugins=["core", "hello"]))
    assert settings.section("plugins.hello") == {"greeting": "Hello from the demo"}
    host = await migrated(settings)
    try:
        assert host.settings_for("hello").greeting == "Hello from the demo"
        demo = run.for_plugin("hello", "plugins.hello")
        await optima_hello.plugin.optima_demo_seed(host, demo)
        await optima_hello.plugin.optima_demo_seed(host, demo)  # idempotent
        async with host.db.session() as session:
            from optima_hello import service

            assert await service.count(session) == 3
        assert any("/v1/hello/greetings" in line for line in run.lines)
    finally:
        await host.stop()
