"""Companies: paginated listing with search, lookup by id (or ConnectWise id), enrichment."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import Company
from optima_platform.host import Host
from optima_platform.http.errors import ApiError

SEARCHABLE = {"name": Company.name, "cw_Identifier": Company.cw_identifier}
MAX_CW_ID = 2**63 - 1  # cw_company_id is a BigInteger: larger numbers cannot match (and would overflow the driver)


def company_not_found(identifier: str) -> ApiError:
    return ApiError(404, f"Company with identifier '{identifier}' was not found.", "CompanyNotFound")


def pagination(page: int, rpp: int, total: int, listed: int) -> dict[str, Any]:
    pages = max(1, math.ceil(total / rpp)) if total else 0
    return {
        "previousPage": page - 1 if page > 1 else None,
        "currentPage": page,
        "nextPage": page + 1 if page < pages else None,
        "totalPages": pages,
        "totalRecords": total,
        "listedRecords": listed,
    }


async def list_companies(
    session: AsyncSession, *, page: int, rpp: int, search: str | None, fields: Sequence[str]
) -> tuple[Sequence[Company], int]:
    """One page ordered by name; ``search`` matches (case-insensitively) the given ``fields``."""
    stmt = select(Company)
    count = select(func.count()).select_from(Company)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{escaped}%"
        clause = or_(*(func.lower(SEARCHABLE[f]).like(like, escape="\\") for f in fields))
        stmt = stmt.where(clause)
        count = count.where(clause)
    total = (await session.execute(count)).scalar_one()
    rows = (
        (await session.execute(stmt.order_by(Company.name, Company.id).offset((page - 1) * rpp).limit(rpp)))
        .scalars()
        .all()
    )
    return rows, total


async def get_company(session: AsyncSession, identifier: str, *, by_cw_id: bool = True) -> Company:
    """By internal id, or (when ``by_cw_id``: the caller may read ``cw_CompanyId``) ConnectWise id."""
    company = await session.get(Company, identifier)
    if company is None and by_cw_id and identifier.isascii() and identifier.isdigit() and int(identifier) <= MAX_CW_ID:
        company = (
            await session.execute(select(Company).where(Company.cw_company_id == int(identifier)))
        ).scalar_one_or_none()
    if company is None:
        raise company_not_found(identifier)
    return company


async def enrich(host: Host, company: dict[str, Any], include: frozenset[str]) -> dict[str, Any]:
    """``cw_Data`` from every plugin implementing ``optima_enrich_company`` (nothing without one)."""
    data: dict[str, Any] = {}
    for _, extra in await host.hooks.acollect("optima_enrich_company", host=host, company=company, include=include):
        data.update(extra)
    return data
