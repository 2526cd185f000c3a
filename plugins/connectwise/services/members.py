"""The member list: fetched from ConnectWise by a job, cached in the plugin's store, served sorted by name.

The cache holds every member (inactive ones too) with the time it was fetched. A request finding no
list, or one older than ``STALE_SECONDS``, refreshes it first; if ConnectWise fails then, a stale list
is served rather than an error (only a missing list makes the failure the answer).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Any

import msgspec
from optima_connectwise.client import ConnectWiseError, Member
from optima_connectwise.connection import PLUGIN, client_of

from optima_platform.db.base import iso, utcnow
from optima_platform.host import Host

log = logging.getLogger("optima.connectwise.members")

CACHE_KEY = "members"
REFRESH_SECONDS = 900.0
STALE_SECONDS = 2 * REFRESH_SECONDS
LOCK_KEY = "connectwise.members.lock"


class CachedMembers(msgspec.Struct):
    fetched_at: datetime = msgspec.field(name="fetchedAt")
    members: list[dict[str, Any]]


def member_json(member: Member) -> dict[str, Any]:
    """The wire shape: ``{id, identifier, firstName, lastName, name, officeEmail, inactive}``."""
    return {
        "id": member.id,
        "identifier": member.identifier,
        "firstName": member.first_name,
        "lastName": member.last_name,
        "name": member.full_name,
        "officeEmail": member.office_email,
        "inactive": bool(member.inactive_flag),
    }


def _by_name(member: dict[str, Any]) -> tuple[str, int]:
    return (str(member["name"] or "").casefold(), int(member["id"] or 0))


async def refresh_members(host: Host) -> list[dict[str, Any]]:
    """Fetch every member from ConnectWise and replace the cached list; returns it sorted by name."""
    members = await client_of(host).members(include_inactive=True)
    rows = sorted((member_json(m) for m in members if m.id is not None), key=_by_name)
    entry = CachedMembers(fetched_at=utcnow(), members=rows)
    await host.store(PLUGIN).set(CACHE_KEY, msgspec.json.encode(entry))
    log.info("connectwise: cached %d members", len(rows))
    return rows


async def cached_members(host: Host) -> CachedMembers | None:
    """The cached list, or None when there is none (or it cannot be read)."""
    raw = await host.store(PLUGIN).get(CACHE_KEY)
    if raw is None:
        return None
    try:
        return msgspec.json.decode(raw, type=CachedMembers)
    except msgspec.MsgspecError:
        log.warning("connectwise: the cached member list is unreadable; refetching it")
        return None


def _is_stale(entry: CachedMembers | None) -> bool:
    return entry is None or utcnow() - entry.fetched_at > timedelta(seconds=STALE_SECONDS)


async def list_members(host: Host, *, active_only: bool = True) -> list[dict[str, Any]]:
    """The members sorted by name; only active ones when ``active_only``."""
    entry = await cached_members(host)
    if _is_stale(entry):
        lock: asyncio.Lock = host.state.setdefault(LOCK_KEY, asyncio.Lock())
        async with lock:
            entry = await cached_members(host)
            if _is_stale(entry):
                try:
                    entry = CachedMembers(fetched_at=utcnow(), members=await refresh_members(host))
                except ConnectWiseError as exc:
                    if entry is None:
                        raise
                    log.warning(
                        "connectwise: member refresh failed (%s); serving the list fetched at %s",
                        exc.message,
                        iso(entry.fetched_at),
                    )
    assert entry is not None
    return [m for m in entry.members if not (active_only and m["inactive"])]
