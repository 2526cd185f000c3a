"""Company routes: ``/company/companies`` (spec: Company Routes)."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Response
from litestar.params import FromPath, QueryParameter

from optima_platform.core.services import companies as svc
from optima_platform.core.services.serialize import company_json
from optima_platform.http.deps import HostDep, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.guard import require
from optima_platform.http.routes import get
from optima_platform.permissions.gates import FieldGateFilter

MAX_RPP = 200


@get("/company/companies", permissions=["company.fetch.many"], gate="obj.company")
async def list_companies(
    host: HostDep,
    principal: PrincipalDep,
    page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
    rpp: Annotated[int, QueryParameter(ge=1, le=MAX_RPP)] = 30,
    search: Annotated[str | None, QueryParameter(max_length=200)] = None,
) -> Response[dict[str, Any]]:
    gate = FieldGateFilter(principal.permissions, "obj.company")
    fields = [f for f in svc.SEARCHABLE if gate.may_read(f)]
    if search and not fields:
        gate.require_readable(svc.SEARCHABLE, "search")
    async with host.db.session() as session:
        rows, total = await svc.list_companies(session, page=page, rpp=rpp, search=search or None, fields=fields)
    data = gate.many(company_json(c) for c in rows)
    return envelope(data, "Companies Fetched Successfully!", pagination=svc.pagination(page, rpp, total, len(data)))


@get(
    "/company/companies/{identifier:str}",
    permissions=["company.fetch"],
    gate="obj.company",
    conditional={
        "query.includeAddress=true": "company.fetch.address",
        "query.includeAllContacts=true": "company.fetch.contacts",
    },
)
async def get_company(
    host: HostDep,
    principal: PrincipalDep,
    identifier: FromPath[str],
    include_address: Annotated[bool, QueryParameter(name="includeAddress")] = False,
    include_primary_contact: Annotated[bool, QueryParameter(name="includePrimaryContact")] = False,
    include_all_contacts: Annotated[bool, QueryParameter(name="includeAllContacts")] = False,
) -> Response[dict[str, Any]]:
    if include_address:
        require(principal, "company.fetch.address")
    if include_all_contacts:
        require(principal, "company.fetch.contacts")
    async with host.db.session() as session:
        company = await svc.get_company(session, identifier, by_cw_id=principal.allows("obj.company.cw_CompanyId"))
        body = company_json(company)
    include = frozenset(
        name
        for name, wanted in (
            ("address", include_address),
            ("primaryContact", include_primary_contact),
            ("allContacts", include_all_contacts),
        )
        if wanted
    )
    body["cw_Data"] = await svc.enrich(host, body, include)
    return envelope(FieldGateFilter(principal.permissions, "obj.company").one(body), "Company Fetched Successfully!")


ROUTES = [list_companies, get_company]
