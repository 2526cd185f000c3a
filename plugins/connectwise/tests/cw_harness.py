"""Shared set-up of the plugin's tests: a ConnectWise simulator over real HTTP and a live app pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from optima_connectwise.simulator import ConnectWiseSimulator, SimulatorCredentials, create_connectwise_simulator
from optima_connectwise.simulator.testing import RunningSimulator

from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings, start_live_app

CREDENTIALS = SimulatorCredentials(
    company_id="optima",
    public_key="test-public",
    private_key="test-private",
    client_id="00000000-0000-4000-8000-00000000c0de",
)
SECRET = "test-callback-secret-0123456789"


def plugin_section(site: str, **overrides: Any) -> dict[str, Any]:
    """A ``[plugins.connectwise]`` table for the simulator at ``site`` (retries kept short)."""
    section: dict[str, Any] = {
        "site": site,
        "company_id": CREDENTIALS.company_id,
        "public_key": CREDENTIALS.public_key,
        "private_key": CREDENTIALS.private_key,
        "client_id": CREDENTIALS.client_id,
        "timeout": 5.0,
        "max_retries": 1,
        "callback_secret": SECRET,
    }
    section.update(overrides)
    return {key: value for key, value in section.items() if value is not None}


@dataclass
class CWEnv:
    """A running simulator and a live app configured for it."""

    sim: ConnectWiseSimulator
    running: RunningSimulator
    live: LiveApp

    def callback_url(self, resource: str, secret: str = SECRET) -> str:
        return f"/v1/cw/callback/{secret}/{resource}"


def new_simulator(seed: int = 3, scale: float = 0.2) -> ConnectWiseSimulator:
    return create_connectwise_simulator(
        seed=seed, scale=scale, credentials=CREDENTIALS, callback_retry_delays=(0.05, 0.1), callback_timeout=5.0
    )


@asynccontextmanager
async def cw_env(
    databases: DatabaseFactory, *, seed: int = 3, scale: float = 0.2, **overrides: Any
) -> AsyncIterator[CWEnv]:
    """A simulator (its own thread) and a live app on a fresh database; ``overrides`` change the section."""
    sim = new_simulator(seed, scale)
    running = RunningSimulator(sim).start()
    try:
        settings = make_settings(
            await databases.create(),
            plugins=["core", "connectwise"],
            plugin_sections={"connectwise": plugin_section(running.url, **overrides)},
        )
        live = await start_live_app(settings)
        try:
            yield CWEnv(sim, running, live)
        finally:
            await live.stop()
    finally:
        running.stop()


async def run_job(env: CWEnv, name: str) -> None:
    """Run one of the plugin's registered jobs now (its function, without the scheduler's lease)."""
    job = next(job for job in env.live.host.jobs_of("connectwise") if job.name == name)
    await job.run(env.live.host)
