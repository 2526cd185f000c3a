"""The plugin's scheduled jobs: the member cache and the company sync (one copy across instances)."""

from __future__ import annotations

from optima_connectwise.services import companies, members

from optima_platform.hooks.contributions import Job
from optima_platform.host import Host

MEMBERS_JOB = "connectwise.members.refresh"
COMPANIES_JOB = "connectwise.companies.sync"


async def refresh_members(host: Host) -> None:
    await members.refresh_members(host)


async def sync_companies(host: Host) -> None:
    await companies.sync_companies(host)


JOBS = [
    Job(MEMBERS_JOB, members.REFRESH_SECONDS, refresh_members, "Cache the ConnectWise member list"),
    Job(
        COMPANIES_JOB,
        companies.SYNC_SECONDS,
        sync_companies,
        "Upsert ConnectWise companies into the company table (full, then incremental by lastUpdated)",
    ),
]
