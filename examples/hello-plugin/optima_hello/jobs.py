"""The plugin's scheduled job: count the greetings into the plugin's cache namespace."""

from __future__ import annotations

from optima_hello import service
from optima_platform.db.base import iso, utcnow
from optima_platform.hooks.contributions import Job
from optima_platform.host import Host


async def tally(host: Host) -> None:
    """Store ``{"count", "countedAt"}`` under ``tally`` in ``host.store("hello")``."""
    async with host.db.session() as session:
        total = await service.count(session)
    await service.write_tally(host, {"count": total, "countedAt": iso(utcnow())})


JOBS = [Job("hello.tally", 60.0, tally, "Count greetings into the hello cache namespace")]
