"""``GET /credential/valuetypes``: the value types a credential type's fields may have."""

from __future__ import annotations

from typing import Any

from litestar import Response

from optima_platform.http.envelope import envelope
from optima_platform.http.routes import get

from ..value_types import value_type_names


@get("/credential/valuetypes")
async def list_value_types() -> Response[dict[str, Any]]:
    return envelope(value_type_names(), "Value Types Fetched Successfully!")


ROUTES = [list_value_types]
