"""Permission node matching.

Entries a user holds (from roles and direct grants) are matched against a node:

* ``*`` grants everything; ``a.b.*`` grants every node below ``a.b`` but not ``a.b`` itself;
  ``a.b`` grants only ``a.b``.
* A leading ``-`` denies instead: ``-a.b.c`` denies ``a.b.c``, ``-a.b.*`` everything below ``a.b``.
* The most specific matching entry decides (an exact node beats any wildcard, a longer wildcard
  beats a shorter one); at equal specificity a deny beats an allow. No matching entry: denied.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SEGMENT = r"[A-Za-z0-9_@][A-Za-z0-9_@-]*"
NODE_PATTERN = re.compile(rf"^-?(\*|{_SEGMENT}(\.{_SEGMENT})*(\.\*)?)$")


NODE_NAME = re.compile(rf"^{_SEGMENT}(\.{_SEGMENT})*$")


def is_valid_node(node: str) -> bool:
    """Whether ``node`` names one node (``a.b``): no wildcard, no ``-``."""
    return bool(NODE_NAME.match(node))


def is_valid_entry(entry: str) -> bool:
    """Whether ``entry`` is syntactically a grant (``a.b``, ``a.b.*``, ``*``, or those with ``-``)."""
    return bool(NODE_PATTERN.match(entry))


@dataclass(frozen=True)
class Grant:
    """One entry a user holds, and where it came from (``role:<moniker>`` or ``direct``)."""

    entry: str
    source: str

    @property
    def deny(self) -> bool:
        return self.entry.startswith("-")

    @property
    def pattern(self) -> str:
        return self.entry[1:] if self.deny else self.entry


def _specificity(pattern: str, node: str) -> float | None:
    """How specifically ``pattern`` matches ``node`` (higher wins), or None when it does not."""
    if pattern == "*":
        return 0.0
    if pattern.endswith(".*"):
        prefix = pattern[:-2]
        if node.startswith(prefix + "."):
            return float(prefix.count(".") + 1)
        return None
    if pattern == node:
        return float(node.count(".") + 1) + 0.5
    return None


@dataclass(frozen=True)
class Decision:
    """The answer for one node, and the grant that decided it (None when nothing matched)."""

    allowed: bool
    grant: Grant | None


class PermissionSet:
    """The effective grants of a principal, with memoised decisions (field gating asks often)."""

    __slots__ = ("_cache", "grants")

    def __init__(self, grants: Iterable[Grant]) -> None:
        self.grants: tuple[Grant, ...] = tuple(grants)
        self._cache: dict[str, Decision] = {}

    @classmethod
    def of(cls, entries: Iterable[str], source: str = "direct") -> PermissionSet:
        return cls(Grant(entry, source) for entry in entries)

    def decide(self, node: str) -> Decision:
        cached = self._cache.get(node)
        if cached is not None:
            return cached
        best: float = -1.0
        winner: Grant | None = None
        for grant in self.grants:
            score = _specificity(grant.pattern, node)
            if score is None:
                continue
            if score > best or (score == best and grant.deny and winner is not None and not winner.deny):
                best, winner = score, grant
        decision = Decision(allowed=winner is not None and not winner.deny, grant=winner)
        self._cache[node] = decision
        return decision

    def allows(self, node: str) -> bool:
        return self.decide(node).allowed

    def missing(self, nodes: Iterable[str]) -> list[str]:
        """The nodes of ``nodes`` this set does not grant, in order."""
        return [node for node in nodes if not self.allows(node)]
