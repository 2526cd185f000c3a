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


JUNK_BODIES: list[object] = [
    None,
    {},
    [],
    "text",
    12,
    {"id": None},
    {"name": {"nested": [1, 2, 3]}},
    [{"x": 1}],
    {"name": "a\u0000b", "title": "a\u0000b", "moniker": "a\u0000", "permissions": ["a\u0000"]},
    {"name": "\U0001f600" * 50, "title": "t" * 5000},
]
JUNK_PATHS = ["x", "0", "-1", "99999999999999999999", "%20", "a" * 300, "ck%27%22", "%00", "a%00b", "%C3%A9", "%FF"]
JUNK_QUERIES: list[dict[str, str]] = [
    {},
    {"page": "-1", "rpp": "abc"},
    {"page": "0", "rpp": "100000"},
    {"search": "'; drop table users; --", "active": "maybe"},
    {"search": "a\x00b"},
    {"search": "%_\\"},
    {"includeAddress": "yes", "includeAllContacts": "2"},
]


async def check_no_server_errors(
    app: LiveApp,
    plugin: str,
    *,
    token_nodes: tuple[str, ...] = ("*",),
    allowed_errors: frozenset[str] = frozenset(),
) -> int:
    """Throw malformed paths, queries and bodies at every route of ``plugin`` as an all-powerful
    user; nothing may answer 5xx (but for ``allowed_errors``, e.g. an unconfigured upstream), and
    every answer must be the envelope. Returns the request count."""
    headers = await app.headers(*token_nodes)
    sent = 0
    for route in [r for r in app.host.routes if r.plugin == plugin]:
        for value in JUNK_PATHS:
            path = re.sub(r"\{[^}]+\}", value, route.path)
            for query in JUNK_QUERIES:
                for body in JUNK_BODIES if route.method in {"POST", "PATCH", "PUT", "DELETE"} else [None]:
                    kwargs: dict[str, object] = {"headers": headers, "params": query}
                    if body is not None:
                        kwargs["json"] = body
                    response = await app.client.request(route.method, path, **kwargs)  # type: ignore[arg-type]
                    sent += 1
                    error = response.json().get("error") if "json" in response.headers.get("content-type", "") else None
                    assert response.status_code < 500 or error in allowed_errors, (
                        f"{route.method} {path} {query} {body!r}: {response.status_code} {response.text[:300]}"
                    )
                    if "json" in response.headers.get("content-type", ""):
                        assert "successful" in response.json(), response.text[:300]
            if "{" not in route.path:
                break
    return sent
