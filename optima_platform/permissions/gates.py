"""Field gating (the spec's processObjectValuePerms): keep only the keys a principal may read.

Each key of a returned object is kept when the principal holds ``<scope>.<key>``; ``<scope>.*``
grants every key. Decisions are computed once per distinct key per request, so gating thousands of
objects is a dict comprehension each.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from optima_platform.http.errors import ApiError
from optima_platform.permissions.matcher import PermissionSet


class FieldGateFilter:
    """Gates objects of one scope for one permission set."""

    __slots__ = ("_allowed", "permissions", "scope")

    def __init__(self, permissions: PermissionSet, scope: str) -> None:
        self.permissions = permissions
        self.scope = scope
        self._allowed: dict[str, bool] = {}

    def may_read(self, key: str) -> bool:
        allowed = self._allowed.get(key)
        if allowed is None:
            allowed = self.permissions.allows(f"{self.scope}.{key}")
            self._allowed[key] = allowed
        return allowed

    def one(self, obj: Mapping[str, Any]) -> dict[str, Any]:
        may_read = self.may_read
        return {key: value for key, value in obj.items() if may_read(key)}

    def many(self, objects: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.one(obj) for obj in objects]

    def require_readable(self, fields: Iterable[str], purpose: str = "filter") -> None:
        """Refuse (403) a filter, sort or search on fields the principal cannot read."""
        hidden = [f for f in fields if not self.may_read(f)]
        if hidden:
            raise ApiError(
                403,
                f"You may not {purpose} on field(s) you cannot read: {', '.join(hidden)}.",
                "InsufficientPermission",
                missing=[f"{self.scope}.{f}" for f in hidden],
            )


def gate(permissions: PermissionSet, scope: str, value: Any) -> Any:
    """Gate a dict or a list of dicts under ``scope``."""
    gate_filter = FieldGateFilter(permissions, scope)
    if isinstance(value, Mapping):
        return gate_filter.one(value)
    return gate_filter.many(value)
