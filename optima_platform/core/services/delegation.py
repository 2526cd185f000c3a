"""Delegation: a caller may grant (to a role or a user) only what the caller holds.

Without this rule anyone allowed to edit roles or direct permissions could grant themselves ``*``.
A deny entry (``-a.b``) only restricts, so it may always be granted. An exact node may be granted
when the caller is granted it; a wildcard (``a.b.*``, ``*``) when one of the caller's grants covers
it and none of the caller's denies reaches into it.
"""

from __future__ import annotations

from collections.abc import Iterable

from optima_platform.http.guard import insufficient
from optima_platform.permissions.matcher import PermissionSet


def _covers(pattern: str, entry: str) -> bool:
    """Whether grant ``pattern`` reaches everything ``entry`` names."""
    if pattern == "*":
        return True
    if entry == "*":
        return False
    if pattern.endswith(".*"):
        prefix = pattern[:-2]
        target = entry[:-2] if entry.endswith(".*") else entry
        return (target == prefix and entry.endswith(".*")) or target.startswith(prefix + ".")
    return pattern == entry


def may_grant(permissions: PermissionSet, entry: str) -> bool:
    if entry.startswith("-"):
        return True
    if not entry.endswith("*"):
        return permissions.allows(entry)
    allows = [g.pattern for g in permissions.grants if not g.deny]
    denies = [g.pattern for g in permissions.grants if g.deny]
    if not any(_covers(p, entry) for p in allows):
        return False
    return not any(_covers(d, entry) or _covers(entry, d) for d in denies)


def require_delegable(permissions: PermissionSet, entries: Iterable[str]) -> None:
    """403 listing the entries the caller may not grant."""
    refused = [e for e in dict.fromkeys(entries) if not may_grant(permissions, e)]
    if refused:
        raise insufficient(refused, "You cannot grant permissions you do not hold yourself.")
