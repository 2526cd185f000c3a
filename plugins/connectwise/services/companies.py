"""ConnectWise companies in the core company table, and the ConnectWise views of one company.

Sync: the first run reads every company, later runs only those whose ``_info.lastUpdated`` is at or
after the newest one seen (the watermark, kept in the plugin's cache; lost, it means a full run).
A company record we cannot read even leniently is skipped (logged by the client) and the watermark
stays at or before its ``lastUpdated``, so every run reads it again until it is fixed.
Rows are matched on ``cw_company_id`` and written a batch at a time. What ConnectWise sends is
authoritative, with one exception so a slow job and a callback can run at once: a read whose
``lastUpdated`` is older than the row's ``cw_data.lastUpdated`` is dropped while the row was written
less than ``CONCURRENT_SECONDS`` ago (it lost a race with a newer read). After that, an older value
replaces the stored one (a re-pointed plugin, a restored ConnectWise), so a stale copy is never pinned.
Companies deleted in ConnectWise are kept (other plugins' records hang on them) and marked
``cw_data.deleted``; deleted companies never seen before are not created. A callback marks a company
deleted only when its ``Action`` is ``deleted``: ConnectWise cloud can answer 404 for a request it
failed to authenticate, so a 404 on an ``added``/``updated`` callback leaves the row as it was.

Enrichment (``optima_enrich_company``): ``address``, ``primaryContact`` and ``allContacts`` come from
ConnectWise and are cached for ``enrichment_ttl`` seconds; a company callback drops them at once.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
from optima_connectwise.client import C, Company, ConnectWiseNotFound, Contact
from optima_connectwise.connection import PLUGIN, client_of, settings_of
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import Company as CompanyRow
from optima_platform.core.services import companies as core_companies
from optima_platform.db.base import iso, utcnow
from optima_platform.host import Host
from optima_platform.http.errors import ApiError

log = logging.getLogger("optima.connectwise.companies")

WATERMARK_KEY = "companies:watermark"
SYNC_SECONDS = 600.0
BATCH_SIZE = 200
OVERLAP = timedelta(seconds=1)  # lastUpdated has second precision: re-read the newest second
CONCURRENT_SECONDS = 30.0  # an older read than the stored one loses only against a row this recent
SECTIONS = ("address", "primaryContact", "allContacts")
NAME_LENGTH = CompanyRow.__table__.c.name.type.length or 300
IDENTIFIER_LENGTH = CompanyRow.__table__.c.cw_identifier.type.length or 200


@dataclass
class SyncResult:
    """What one sync run did."""

    mode: str
    seen: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    watermark: datetime | None = None


def _last_updated(company: Company) -> datetime | None:
    return company.info.last_updated if company.info is not None else None


def _parse(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def cw_data_of(company: Company) -> dict[str, Any]:
    """The snapshot kept in ``companies.cw_data``: freshness, status, types and the deleted mark."""
    return {
        "lastUpdated": iso(_last_updated(company)),
        "status": company.status.name if company.status is not None else None,
        "types": [t.name for t in company.types or () if t.name],
        "deleted": bool(company.deleted_flag),
    }


def _name_of(company: Company) -> str:
    return (company.name or company.identifier or f"ConnectWise company {company.id}")[:NAME_LENGTH]


def _identifier_of(company: Company) -> str | None:
    return company.identifier[:IDENTIFIER_LENGTH] if company.identifier else None


async def _upsert(session: AsyncSession, companies: Sequence[Company]) -> tuple[int, int]:
    by_id = {c.id: c for c in companies if c.id is not None}
    if not by_id:
        return 0, 0
    rows = (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id.in_(list(by_id))))).scalars()
    existing = {row.cw_company_id: row for row in rows}
    created = updated = 0
    for cw_id, company in by_id.items():
        row = existing.get(cw_id)
        data = cw_data_of(company)
        if row is None:
            if company.deleted_flag:
                continue
            session.add(
                CompanyRow(
                    name=_name_of(company),
                    cw_company_id=cw_id,
                    cw_identifier=_identifier_of(company),
                    cw_data=data,
                )
            )
            created += 1
            continue
        stored = _parse((row.cw_data or {}).get("lastUpdated"))
        incoming = _last_updated(company)
        if stored is not None and incoming is not None and incoming < stored and _recent(row.updated_at):
            continue  # an older read racing a newer one that was stored moments ago
        values = {
            "name": _name_of(company),
            "cw_identifier": _identifier_of(company),
            "cw_data": {**(row.cw_data or {}), **data},
        }
        changed = {key: value for key, value in values.items() if getattr(row, key) != value}
        for key, value in changed.items():
            setattr(row, key, value)
        updated += bool(changed)
    return created, updated


def _recent(written: datetime | None) -> bool:
    if written is None:
        return False
    if written.tzinfo is None:
        written = written.replace(tzinfo=UTC)
    return utcnow() - written < timedelta(seconds=CONCURRENT_SECONDS)


async def upsert_companies(host: Host, companies: Sequence[Company]) -> tuple[int, int]:
    """Create or update the rows of ``companies``; returns (created, updated). One transaction."""
    for attempt in (1, 2):
        try:
            async with host.db.session() as session, session.begin():
                return await _upsert(session, companies)
        except IntegrityError:
            if attempt == 2:
                raise
            # another writer (a callback, another instance) created one of the rows first: match it now
            log.info("connectwise: concurrent company insert; retrying the batch")
    raise AssertionError("unreachable")


async def mark_deleted(host: Host, cw_id: int) -> bool:
    """Mark the local copy of a company ConnectWise no longer has; False when there is none."""
    async with host.db.session() as session, session.begin():
        row = (await session.execute(select(CompanyRow).where(CompanyRow.cw_company_id == cw_id))).scalar_one_or_none()
        if row is None:
            return False
        if not (row.cw_data or {}).get("deleted"):
            row.cw_data = {**(row.cw_data or {}), "deleted": True}
        return True


async def read_watermark(host: Host) -> datetime | None:
    raw = await host.store(PLUGIN).get(WATERMARK_KEY)
    return _parse(raw.decode()) if raw else None


async def sync_companies(host: Host) -> SyncResult:
    """One sync run: full without a watermark (or with no linked company at all), else incremental.

    The watermark advances only after the whole run succeeded; a failure part way keeps the batches
    already written and the next run reads the same changes again.
    """
    cw = client_of(host)
    watermark = await read_watermark(host)
    if watermark is not None and not await linked_count(host):
        watermark = None
    result = SyncResult(mode="incremental" if watermark is not None else "full", watermark=watermark)
    since = watermark - OVERLAP if watermark is not None else None
    batch: list[Company] = []
    skipped_stamps: list[datetime | None] = []

    def skipped(record: Any) -> None:
        # a record we cannot read even leniently (the client logged it): it must be read again next run
        info = record.get("_info") if isinstance(record, dict) else None
        skipped_stamps.append(_parse(info.get("lastUpdated")) if isinstance(info, dict) else None)

    async def flush() -> None:
        created, updated = await upsert_companies(host, batch)
        result.created += created
        result.updated += updated
        batch.clear()

    async for company in cw.iterate_companies(updated_since=since, on_invalid=skipped):
        batch.append(company)
        result.seen += 1
        stamp = _last_updated(company)
        if stamp is not None and (result.watermark is None or stamp > result.watermark):
            result.watermark = stamp
        if len(batch) >= BATCH_SIZE:
            await flush()
    await flush()
    result.skipped = len(skipped_stamps)
    if skipped_stamps:
        # never past a skipped record: the next run reads it again (with an unknown stamp, stay put)
        known = [stamp for stamp in skipped_stamps if stamp is not None]
        if len(known) < len(skipped_stamps):
            result.watermark = watermark
        elif result.watermark is not None:
            result.watermark = min(result.watermark, *known)
        else:
            result.watermark = min(known)
    if result.watermark is not None:
        await host.store(PLUGIN).set(WATERMARK_KEY, result.watermark.isoformat())
    elif skipped_stamps:
        await host.store(PLUGIN).delete(WATERMARK_KEY)  # the next run is a full one again
    log.info(
        "connectwise: %s company sync read %d, created %d, updated %d, skipped %d unreadable",
        result.mode,
        result.seen,
        result.created,
        result.updated,
        result.skipped,
    )
    return result


async def refresh_company(host: Host, cw_id: int, action: str = "updated") -> str:
    """Fetch one company again and store it: ``"updated"``, ``"deleted"`` or ``"not found"``.

    A 404 marks the company deleted only for a ``deleted`` callback; for ``added``/``updated`` it
    leaves the row as it was (on cloud a 404 can mean the request was not authenticated) and is
    logged. Its enrichment cache entries are dropped in every case but that one. Any other
    ConnectWise failure raises before anything local is touched.
    """
    try:
        company = await client_of(host).company(cw_id)
    except ConnectWiseNotFound:
        if action != "deleted":
            log.warning(
                "connectwise: company %s %s but ConnectWise answers 404 for it (a bad authentication can "
                "look like this); local data unchanged",
                cw_id,
                action,
            )
            return "not found"
        await mark_deleted(host, cw_id)
        await drop_enrichment(host, cw_id)
        return "deleted"
    await upsert_companies(host, [company])
    await drop_enrichment(host, cw_id)
    return "updated"


# --- enrichment -----------------------------------------------------------------------------------


def _cache_key(cw_id: int, section: str) -> str:
    return f"company:{cw_id}:{section}"


async def drop_enrichment(host: Host, cw_id: int) -> None:
    """Forget the cached ``cw_Data`` sections of one company."""
    store = host.store(PLUGIN)
    for section in SECTIONS:
        await store.delete(_cache_key(cw_id, section))


def address_json(company: Company) -> dict[str, Any]:
    return {
        "line1": company.address_line1,
        "line2": company.address_line2,
        "city": company.city,
        "state": company.state,
        "zip": company.zip,
        "country": company.country.name if company.country is not None else None,
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "firstName": contact.first_name,
        "lastName": contact.last_name,
        "cwId": contact.id,
        "inactive": bool(contact.inactive_flag),
        "title": contact.title,
        "phone": contact.phone,
        "email": contact.email,
    }


async def _cached(host: Host, key: str, produce: Callable[[], Awaitable[Any]]) -> Any:
    store = host.store(PLUGIN)
    raw = await store.get(key)
    if raw is not None:
        try:
            return msgspec.json.decode(raw)
        except msgspec.DecodeError:
            log.warning("connectwise: unreadable cache entry %s; refetching it", key)
    value = await produce()
    await store.set(key, msgspec.json.encode(value), expires_in=settings_of(host).enrichment_ttl)
    return value


async def enrich_company(host: Host, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    """The requested ``cw_Data`` sections of a core company (nothing for one not linked to ConnectWise)."""
    cw_id = company.get("cw_CompanyId")
    wanted = [section for section in SECTIONS if section in include]
    if not wanted or not isinstance(cw_id, int) or isinstance(cw_id, bool):
        return {}
    cw = client_of(host)
    fetched: list[Company | None] = []

    async def record() -> Company | None:
        if not fetched:
            try:
                fetched.append(await cw.company(cw_id))
            except ConnectWiseNotFound:
                fetched.append(None)
        return fetched[0]

    async def address() -> dict[str, Any] | None:
        found = await record()
        return address_json(found) if found is not None else None

    async def primary_contact() -> dict[str, Any] | None:
        found = await record()
        contact_id = found.default_contact.id if found is not None and found.default_contact is not None else None
        if contact_id is None:
            return None
        try:
            return contact_json(await cw.contact(contact_id))
        except ConnectWiseNotFound:
            return None

    async def all_contacts() -> list[dict[str, Any]]:
        try:
            return [contact_json(c) for c in await cw.company_contacts(cw_id)]
        except ConnectWiseNotFound:
            return []

    producers = {"address": address, "primaryContact": primary_contact, "allContacts": all_contacts}
    return {section: await _cached(host, _cache_key(cw_id, section), producers[section]) for section in wanted}


# --- ConnectWise views of one company ----------------------------------------------------------------


async def linked_company_id(host: Host, identifier: str) -> int:
    """The ConnectWise id of the core company ``identifier`` (its id or ConnectWise id); 404 otherwise."""
    async with host.db.session() as session:
        row = await core_companies.get_company(session, identifier)
    if row.cw_company_id is None:
        raise ApiError(404, f"Company '{identifier}' is not linked to a ConnectWise company.", "CompanyNotLinked")
    return row.cw_company_id


def _name(reference: Any) -> Any:
    return reference.get("name") if isinstance(reference, dict) else None


def site_json(site: dict[str, Any]) -> dict[str, Any]:
    """A site as the spec shows it; the state is ``stateReference`` on current sites, ``state`` on older."""
    state_reference = site.get("stateReference")
    state = (
        (state_reference.get("name") or state_reference.get("identifier"))
        if isinstance(state_reference, dict)
        else None
    ) or site.get("state")
    return {
        "id": site.get("id"),
        "name": site.get("name"),
        "address": {
            "line1": site.get("addressLine1"),
            "line2": site.get("addressLine2"),
            "city": site.get("city"),
            "state": state,
            "zip": site.get("zip"),
            "country": _name(site.get("country")),
        },
        "phoneNumber": site.get("phoneNumber"),
        "faxNumber": site.get("faxNumber"),
        "primaryAddressFlag": bool(site.get("primaryAddressFlag")),
        "defaultShippingFlag": bool(site.get("defaultShippingFlag")),
        "defaultBillingFlag": bool(site.get("defaultBillingFlag")),
        "defaultMailingFlag": bool(site.get("defaultMailingFlag")),
    }


async def company_sites(host: Host, identifier: str) -> list[dict[str, Any]]:
    """Every ConnectWise site of the company."""
    cw_id = await linked_company_id(host, identifier)
    sites = await client_of(host).list_raw(f"company/companies/{cw_id}/sites")
    return [site_json(site) for site in sites]


async def company_configurations(host: Host, identifier: str) -> list[dict[str, Any]]:
    """Every ConnectWise configuration of the company, as ConnectWise sends them."""
    cw_id = await linked_company_id(host, identifier)
    return await client_of(host).list_raw("company/configurations", conditions=C.field("company/id") == cw_id)


async def linked_count(host: Host) -> int:
    """How many core companies are linked to ConnectWise."""
    async with host.db.session() as session:
        stmt = select(func.count()).select_from(CompanyRow).where(CompanyRow.cw_company_id.is_not(None))
        return int((await session.execute(stmt)).scalar_one())
