"""Demo mode: a seeded ConnectWise simulator in-process, the plugin pointed at it, callbacks registered.

``prepare`` starts the simulator and configures the plugin (with a fresh callback secret unless
``CW_CALLBACK_SECRET`` is set); ``seed`` registers the callbacks at the demo server's own URL, caches
the members and runs the company sync once, so ``GET /v1/company/companies`` lists the simulator's
companies straight away.
"""

from __future__ import annotations

import os
import secrets

from optima_connectwise.connection import client_of, settings_of
from optima_connectwise.services import callbacks, companies, members
from optima_connectwise.settings import ENV_CALLBACK_SECRET
from optima_connectwise.simulator import SimulatorCredentials, create_connectwise_simulator

from optima_platform.demo import Demo
from optima_platform.host import Host

DEMO_SEED = 7
DEMO_SCALE = 0.3


async def prepare(demo: Demo) -> None:
    credentials = SimulatorCredentials(public_key="demo-public", private_key=secrets.token_urlsafe(16))
    sim = create_connectwise_simulator(seed=DEMO_SEED, scale=DEMO_SCALE, credentials=credentials)
    url = await demo.serve(sim.app)
    sim.public_url = url
    demo.configure("site", url)
    demo.configure("company_id", credentials.company_id)
    demo.configure("public_key", credentials.public_key)
    demo.configure("private_key", credentials.private_key)
    demo.configure("client_id", credentials.client_id)
    if not os.environ.get(ENV_CALLBACK_SECRET, "").strip():
        demo.configure("callback_secret", secrets.token_urlsafe(24))
    demo.say(
        f"ConnectWise simulator: {url}/{sim.codebase}apis/3.0 (company {credentials.company_id}, "
        f"{sim.sizes.companies} companies, {sim.sizes.members} members); change a record with "
        f"POST {url}/__sim__/touch to see its callback"
    )


async def seed(host: Host, demo: Demo) -> None:
    settings = settings_of(host)
    cw = client_of(host)
    registered = await callbacks.register_callbacks(cw, settings, host.settings.public_url)
    await members.refresh_members(host)
    result = await companies.sync_companies(host)
    demo.say(f"ConnectWise callback secret: {settings.callback_secret}")
    for registration in registered:
        demo.say(f"    {registration.resource:<12} callback -> {registration.callback.url}")
    demo.say(f"ConnectWise companies synced: {result.created} new, {result.seen} read; try GET /v1/cw/members")
