"""The auth matrix every plugin's suite runs: each token route answers 401 without a valid token
and 403 (listing the node) when any one of its required nodes is missing.

The guard runs before path, query and body parsing, so placeholder path values suffice.
"""

from __future__ import annotations

import re

from optima_platform.testing.fixtures import LiveApp

PLACEHOLDER = "matrix-placeholder"


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", PLACEHOLDER, path)


async def check_auth_matrix(app: LiveApp, plugin: str) -> int:
    """Run the matrix over ``plugin``'s routes; returns how many checks ran (asserts on failure)."""
    checks = 0
    routes = [r for r in app.host.routes if r.plugin == plugin and r.auth == "token"]
    assert routes, f"plugin {plugin} serves no token routes"
    garbage = {"Authorization": "Bearer not-a-token"}
    for route in routes:
        path = _concrete(route.path)
        for headers in ({}, garbage):
            response = await app.client.request(route.method, path, headers=headers)
            assert response.status_code == 401, f"{route.method} {route.path} without token: {response.status_code}"
            body = response.json()
            assert body["successful"] is False and body["status"] == 401, body
            checks += 1
        for node in route.permissions:
            others = [n for n in route.permissions if n != node]
            headers = await app.headers(*others)
            response = await app.client.request(route.method, path, headers=headers, json={})
            assert response.status_code == 403, f"{route.method} {route.path} without {node}: {response.status_code}"
            body = response.json()
            assert body["error"] == "InsufficientPermission" and node in body["missing"], body
            checks += 1
    return checks
