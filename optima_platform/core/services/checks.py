"""``check-permission`` answers: per node, whether it is granted and which grant decided it."""

from __future__ import annotations

from typing import Any

from optima_platform.http.errors import validation_error
from optima_platform.permissions.matcher import Grant, PermissionSet, is_valid_node


def _grant_json(grant: Grant | None) -> dict[str, Any] | None:
    if grant is None:
        return None
    if grant.source.startswith("role:"):
        return {"type": "role", "role": grant.source.removeprefix("role:"), "node": grant.entry}
    return {"type": "direct", "node": grant.entry}


def check_permissions(permissions: PermissionSet, nodes: list[str]) -> list[dict[str, Any]]:
    """``[{permission, hasPermission, grantedBy}]``; ``grantedBy`` is the deciding grant (a deny too).

    Each asked node must be a node name (``a.b``): wildcards and ``-`` entries are refused with 400.
    """
    errors = [
        {"path": ["permissions", i], "message": f"'{node}' is not a permission node"}
        for i, node in enumerate(nodes)
        if not is_valid_node(node)
    ]
    if errors:
        raise validation_error(errors)
    results = []
    for node in nodes:
        decision = permissions.decide(node)
        results.append(
            {"permission": node, "hasPermission": decision.allowed, "grantedBy": _grant_json(decision.grant)}
        )
    return results
