"""Every core token route: 401 without a valid token, 403 without each of its required nodes."""

from __future__ import annotations

from optima_platform.testing.fixtures import LiveApp
from optima_platform.testing.matrix import check_auth_matrix


async def test_core_routes_auth_matrix(live: LiveApp) -> None:
    checks = await check_auth_matrix(live, "core")
    assert checks >= 60
