"""Permission catalogue routes: ``/permissions`` (spec: Permission Routes)."""

from __future__ import annotations

from typing import Any

from litestar import Response
from litestar.params import FromPath

from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope
from optima_platform.http.errors import ApiError
from optima_platform.http.routes import get


@get("/permissions", permissions=["role.read"])
async def categories(host: HostDep) -> Response[dict[str, Any]]:
    data = {key: category.as_json() for key, category in host.permissions.categories.items()}
    return envelope(data, "Permission Nodes Fetched Successfully!")


@get("/permissions/nodes", permissions=["role.read"])
async def nodes(host: HostDep) -> Response[dict[str, Any]]:
    data = [node.as_json() for category in host.permissions.categories.values() for node in category.nodes]
    return envelope(data, "All Permission Nodes Fetched Successfully!")


@get("/permissions/{category:str}", permissions=["role.read"])
async def category(host: HostDep, category: FromPath[str]) -> Response[dict[str, Any]]:
    found = host.permissions.categories.get(category)
    if found is None:
        raise ApiError(404, f'Permission category "{category}" not found', "NotFound")
    return envelope(found.as_json(), "Permission Category Fetched Successfully!")


ROUTES = [categories, nodes, category]
