"""ConnectWise views of a company: ``/company/companies/{identifier}/configurations`` and ``/sites``."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.params import FromPath
from optima_connectwise.services import companies as svc

from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get


@get(
    "/company/companies/{identifier:str}/configurations",
    permissions=["company.fetch", "company.fetch.configurations"],
    description="The company's configurations in ConnectWise (by internal id or ConnectWise id).",
)
async def company_configurations(host: HostDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    data = await svc.company_configurations(host, identifier)
    return envelope(data, "Company Configurations Fetched Successfully!")


@get(
    "/company/companies/{identifier:str}/sites",
    permissions=["company.fetch", "company.fetch.sites"],
    description="The company's sites in ConnectWise (by internal id or ConnectWise id).",
)
async def company_sites(host: HostDep, identifier: FromPath[str]) -> Response[dict[str, Any]]:
    return envelope(await svc.company_sites(host, identifier), "Company Sites Fetched Successfully!")


ROUTES = [company_configurations, company_sites]
