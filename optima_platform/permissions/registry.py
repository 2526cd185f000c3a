"""The node registry: every enabled plugin's categories, field-gate nodes, and where each is used."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from optima_platform.hooks.contributions import FieldGate, PermissionCategory, PermissionNode
from optima_platform.hooks.registry import PluginError

FIELD_CATEGORY = "object"


@dataclass
class RegisteredNode:
    node: str
    description: str
    plugin: str
    dependencies: tuple[str, ...] = ()
    used_in: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"node": self.node, "description": self.description, "usedIn": self.used_in}
        if self.dependencies:
            out["dependencies"] = list(self.dependencies)
        return out


@dataclass
class RegisteredCategory:
    key: str
    name: str
    description: str
    nodes: list[RegisteredNode] = field(default_factory=list)

    def as_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "description": self.description,
            "permissions": [n.as_json() for n in self.nodes],
        }


class PermissionRegistry:
    """Categories and nodes gathered from ``optima_permissions`` and ``optima_field_gates``."""

    def __init__(self) -> None:
        self.categories: dict[str, RegisteredCategory] = {}
        self.nodes: dict[str, RegisteredNode] = {}
        self.gates: dict[str, FieldGate] = {}

    def add_category(self, plugin: str, category: PermissionCategory) -> None:
        target = self.categories.setdefault(
            category.key, RegisteredCategory(category.key, category.name, category.description)
        )
        for node in category.nodes:
            self._add(target, plugin, node)

    def _add(self, category: RegisteredCategory, plugin: str, node: PermissionNode) -> None:
        if node.node in self.nodes:
            owner = self.nodes[node.node].plugin
            raise PluginError(f"plugin {plugin}: permission node {node.node} is already declared by {owner}; rename it")
        registered = RegisteredNode(node.node, node.description, plugin, node.dependencies)
        self.nodes[node.node] = registered
        category.nodes.append(registered)

    def add_gate(self, plugin: str, gate: FieldGate) -> None:
        self.gates[gate.scope] = gate
        category = self.categories.setdefault(
            FIELD_CATEGORY,
            RegisteredCategory(
                FIELD_CATEGORY,
                "Object Field Permissions",
                "Field-level gating: which keys of each returned object type a user may read",
            ),
        )
        self._add(category, plugin, PermissionNode(f"{gate.scope}.*", f"Read every field of a {gate.type_name}"))
        for name in gate.fields:
            text = gate.descriptions.get(name, f"Read the {name} field of a {gate.type_name}")
            self._add(category, plugin, PermissionNode(f"{gate.scope}.{name}", text))

    def record_use(self, nodes: Iterable[str], route: str) -> None:
        for node in nodes:
            registered = self.nodes.get(node)
            if registered is not None and route not in registered.used_in:
                registered.used_in.append(route)

    def record_gate_use(self, scope: str, route: str) -> None:
        """A route's responses are gated by ``scope``: every ``<scope>.…`` node is used there."""
        self.record_use([n for n in self.nodes if n.startswith(scope + ".")], route)

    def is_known(self, entry: str) -> bool:
        """Whether a grant entry names a registered node or a wildcard over registered nodes."""
        pattern = entry.removeprefix("-")
        if pattern == "*" or pattern in self.nodes:
            return True
        if pattern.endswith(".*"):
            prefix = pattern[:-2] + "."
            return any(node.startswith(prefix) for node in self.nodes)
        return False
