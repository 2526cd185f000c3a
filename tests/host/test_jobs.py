"""The scheduler: runs, records outcomes, survives failures, one copy across instances."""

from __future__ import annotations

import asyncio
import os

import pytest
import socketio

from optima_platform.hooks.contributions import Job, PluginManifest, SocketEvent
from optima_platform.hooks.specs import hookimpl
from optima_platform.host import Host
from optima_platform.testing.fixtures import DatabaseFactory, make_settings, start_live_app
from tests.host import probe_plugin
from tests.host.probe_plugin import ProbePlugin

REDIS = os.environ.get("OPTIMA_TEST_REDIS_URL")


async def test_jobs_run_record_and_survive_failures(databases: DatabaseFactory) -> None:
    probe_plugin.RUNS.clear()
    settings = make_settings(
        await databases.create(), plugins=["core", "probe"], jobs={"enabled": True, "tick_seconds": 0.1}
    )
    app = await start_live_app(settings, extra_plugins=[ProbePlugin()])
    try:
        await asyncio.sleep(2.5)
        statuses = await app.host.scheduler.statuses()
        tick, failing = statuses["probe.tick"], statuses["probe.failing"]
        assert tick.last_outcome == "success" and tick.runs >= 2 and tick.failures == 0
        assert tick.last_duration_ms is not None and tick.last_started_at is not None
        assert failing.last_outcome == "failure" and failing.failures >= 2
        assert failing.last_error == "ValueError: job failed on purpose"
        assert len(probe_plugin.RUNS) in (2, 3)
    finally:
        await app.stop()


async def test_run_once_refuses_while_the_lease_is_held(databases: DatabaseFactory) -> None:
    from optima_platform.jobs.scheduler import JobBusy

    settings = make_settings(await databases.create(), plugins=["core", "probe"])
    app = await start_live_app(settings, extra_plugins=[ProbePlugin()])
    try:
        status = await app.host.scheduler.run_once("probe.tick")
        assert status.last_outcome == "success" and status.runs == 1
        assert await app.host.leases.acquire("job:probe.tick", 30) is None  # held for the interval
        await asyncio.sleep(1.1)
        token = await app.host.leases.acquire("job:probe.tick", 30)
        assert token is not None
        with pytest.raises(JobBusy):
            await app.host.scheduler.run_once("probe.tick")
        await app.host.leases.release("job:probe.tick", token)
    finally:
        await app.stop()


COUNTS: dict[str, int] = {}


async def counted(host: Host) -> None:
    COUNTS[host.settings.cache_prefix] = COUNTS.get(host.settings.cache_prefix, 0) + 1
    await asyncio.sleep(0.05)


async def ping(host: Host, sid: str, data: object) -> None:
    await host.realtime.emit("pong", data, namespace="/cluster")


class ClusterPlugin:
    @hookimpl
    def optima_plugin(self) -> PluginManifest:
        return PluginManifest(name="cluster", version="1.0")

    @hookimpl
    def optima_jobs(self) -> list[Job]:
        return [Job("cluster.count", 1.0, counted)]

    @hookimpl
    def optima_socket_events(self) -> list[SocketEvent]:
        return [SocketEvent("/cluster", "ping", ping)]


@pytest.mark.skipif(not REDIS, reason="needs OPTIMA_TEST_REDIS_URL (CI sets it)")
async def test_two_instances_share_jobs_and_socket_events(databases: DatabaseFactory) -> None:
    url = await databases.create()
    base = make_settings(url, plugins=["core", "cluster"], jobs={"enabled": True, "tick_seconds": 0.1})
    import msgspec

    one = await start_live_app(base, extra_plugins=[ClusterPlugin()])
    two = await start_live_app(msgspec.structs.replace(base), extra_plugins=[ClusterPlugin()], migrate=False)
    COUNTS.clear()
    received: list[object] = []
    listener, sender = socketio.AsyncClient(), socketio.AsyncClient()
    listener.on("pong", lambda data: received.append(data), namespace="/cluster")
    try:
        await listener.connect(one.url, namespaces=["/cluster"], transports=["websocket"])
        await sender.connect(two.url, namespaces=["/cluster"], transports=["websocket"])
        await sender.emit("ping", {"from": "two"}, namespace="/cluster")
        for _ in range(50):
            if received:
                break
            await asyncio.sleep(0.1)
        assert received == [{"from": "two"}]
        COUNTS.clear()
        await asyncio.sleep(3.5)
        total = sum(COUNTS.values())
        assert 3 <= total <= 4, COUNTS
    finally:
        await listener.disconnect()
        await sender.disconnect()
        await one.stop()
        await two.stop()
