"""No request to a core route makes the server answer 5xx: malformed paths, queries and bodies."""

from __future__ import annotations

from optima_platform.testing.fixtures import LiveApp
from optima_platform.testing.matrix import check_no_server_errors


async def test_core_routes_never_answer_5xx(live: LiveApp) -> None:
    assert await check_no_server_errors(live, "core", allowed_errors=frozenset({"SignInNotConfigured"})) > 500
