"""The in-process job scheduler.

Every instance runs a loop per job; a lease named after the job, held in the cache (Redis when
configured), makes sure one copy runs at a time across all instances and at most once per interval:
the winner keeps the lease until ``start + interval`` (extending it while a slow run goes on).
Each run's start, duration, outcome and error are recorded in ``job_status``; a failing run is
logged and recorded, and the loop goes on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import traceback
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from optima_platform.db.base import utcnow
from optima_platform.hooks.contributions import Job
from optima_platform.jobs.models import JobStatus

if TYPE_CHECKING:
    from optima_platform.host import Host

log = logging.getLogger("optima.jobs")
HEARTBEAT = 10.0


class JobBusy(Exception):
    """The job is running elsewhere (its lease is held)."""


@dataclass(frozen=True)
class RegisteredJob:
    plugin: str
    job: Job


class Scheduler:
    """Runs the enabled plugins' jobs; ``run_once`` is what ``optima jobs run`` calls."""

    def __init__(self, host: Host, jobs: list[RegisteredJob]) -> None:
        self.host = host
        self.jobs = {r.job.name: r for r in jobs}
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()

    def start(self) -> None:
        for registered in self.jobs.values():
            self._tasks.append(asyncio.create_task(self._loop(registered), name=f"job:{registered.job.name}"))

    async def stop(self) -> None:
        self._stopping.set()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def _loop(self, registered: RegisteredJob) -> None:
        job = registered.job
        tick = self.host.settings.jobs.tick_seconds
        next_due = time.monotonic() if job.run_at_start else time.monotonic() + job.interval
        while not self._stopping.is_set():
            now = time.monotonic()
            if now >= next_due:
                try:
                    ran = await self._attempt(registered)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("job %s: scheduler error", job.name)
                    ran = False
                next_due = time.monotonic() + (job.interval if ran else min(tick, job.interval))
            await asyncio.sleep(max(0.01, min(tick, next_due - time.monotonic())))

    async def _attempt(self, registered: RegisteredJob) -> bool:
        """Run the job if this instance wins its lease; False when another instance holds it."""
        job = registered.job
        lease_name = f"job:{job.name}"
        token = await self.host.leases.acquire(lease_name, max(job.interval, HEARTBEAT * 2))
        if token is None:
            return False
        started = time.monotonic()
        heartbeat = asyncio.create_task(self._heartbeat(lease_name, token))
        try:
            await self._run_recorded(registered)
        finally:
            heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await heartbeat
            remaining = job.interval - (time.monotonic() - started)
            await self.host.leases.extend(lease_name, token, remaining)
        return True

    async def _heartbeat(self, lease_name: str, token: str) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT)
            await self.host.leases.extend(lease_name, token, HEARTBEAT * 3)

    async def run_once(self, name: str) -> JobStatus:
        """Run ``name`` now, holding its lease so no scheduled copy overlaps and the next scheduled run
        waits out the interval; raises JobBusy (lease held) or KeyError. Without Redis the lease is
        per process, so ``optima jobs run`` beside a server cannot see the server's lease."""
        registered = self.jobs[name]
        lease_name = f"job:{name}"
        token = await self.host.leases.acquire(lease_name, max(registered.job.interval, HEARTBEAT * 2))
        if token is None:
            raise JobBusy(name)
        started = time.monotonic()
        try:
            return await self._run_recorded(registered)
        finally:
            # like a scheduled run, a manual run counts for its interval
            await self.host.leases.extend(lease_name, token, registered.job.interval - (time.monotonic() - started))

    async def _run_recorded(self, registered: RegisteredJob) -> JobStatus:
        job = registered.job
        started_at = utcnow()
        started = time.monotonic()
        await self._record(registered, started_at=started_at, outcome="running")
        error: str | None = None
        try:
            await job.run(self.host)
            outcome = "success"
        except asyncio.CancelledError:
            await self._record(registered, outcome="cancelled", duration=time.monotonic() - started)
            raise
        except Exception as exc:
            outcome = "failure"
            error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:2000]
            log.error("job %s failed: %s", job.name, error)
        return await self._record(registered, outcome=outcome, duration=time.monotonic() - started, error=error)

    async def _record(
        self,
        registered: RegisteredJob,
        *,
        outcome: str,
        started_at: object = None,
        duration: float | None = None,
        error: str | None = None,
    ) -> JobStatus:
        async with self.host.db.session() as session, session.begin():
            row = await session.get(JobStatus, registered.job.name)
            if row is None:
                row = JobStatus(name=registered.job.name, plugin=registered.plugin, runs=0, failures=0)
                session.add(row)
            row.plugin = registered.plugin
            row.last_outcome = outcome
            if started_at is not None:
                row.last_started_at = started_at  # type: ignore[assignment]
                row.last_error = None
            if duration is not None:
                row.last_duration_ms = int(duration * 1000)
                row.last_finished_at = utcnow()
                row.runs = (row.runs or 0) + 1
                if outcome == "failure":
                    row.failures = (row.failures or 0) + 1
                    row.last_error = error
            return row

    async def statuses(self) -> dict[str, JobStatus]:
        async with self.host.db.session() as session:
            rows = (await session.execute(select(JobStatus))).scalars().all()
        return {row.name: row for row in rows}
