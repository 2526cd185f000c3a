"""Permission matching, table-driven (the same table as docs/permissions.md), and field gating."""

from __future__ import annotations

import pytest

from optima_platform.http.errors import ApiError
from optima_platform.permissions.gates import FieldGateFilter, gate
from optima_platform.permissions.matcher import Grant, PermissionSet, is_valid_entry

CASES = [
    # (entries held, node, granted, deciding entry)
    (["*"], "anything.at.all", True, "*"),
    (["company.*"], "company.fetch", True, "company.*"),
    (["company.*"], "company.fetch.address", True, "company.*"),
    (["company.*"], "company", False, None),
    (["company.fetch.*"], "company.fetch.address", True, "company.fetch.*"),
    (["company.fetch.*"], "company.fetch", False, None),
    (["company.fetch"], "company.fetch", True, "company.fetch"),
    (["company.fetch"], "company.fetch.address", False, None),
    (["company.fetch"], "company.fetchx", False, None),
    (["company.f*"], "company.fetch", False, None),
    (["-company.fetch.address", "company.*"], "company.fetch.address", False, "-company.fetch.address"),
    (["-company.*", "*"], "company.fetch", False, "-company.*"),
    (["-company.*", "*"], "user.read", True, "*"),
    (["*", "-credential.*"], "credential.fetch", False, "-credential.*"),
    (["*", "-credential.*", "credential.fetch"], "credential.fetch", True, "credential.fetch"),
    (["company.*", "-company.fetch.*"], "company.fetch.address", False, "-company.fetch.*"),
    (["company.*", "-company.fetch.*"], "company.fetch", True, "company.*"),
    (["company.fetch", "-company.fetch"], "company.fetch", False, "-company.fetch"),
    (["-company.fetch", "company.fetch"], "company.fetch", False, "-company.fetch"),
    (["-*"], "user.read", False, "-*"),
    (["-*", "user.read"], "user.read", True, "user.read"),
    ([], "user.read", False, None),
]


@pytest.mark.parametrize(("entries", "node", "granted", "decided_by"), CASES)
def test_matching(entries: list[str], node: str, granted: bool, decided_by: str | None) -> None:
    decision = PermissionSet.of(entries).decide(node)
    assert decision.allowed is granted
    assert (decision.grant.entry if decision.grant else None) == decided_by


def test_decision_names_its_source() -> None:
    perms = PermissionSet([Grant("company.*", "role:viewer"), Grant("company.fetch", "direct")])
    assert perms.decide("company.fetch").grant == Grant("company.fetch", "direct")
    assert perms.decide("company.fetch.many").grant == Grant("company.*", "role:viewer")
    assert perms.missing(["company.fetch", "user.read", "company.x"]) == ["user.read"]


@pytest.mark.parametrize(
    ("entry", "valid"),
    [
        ("*", True),
        ("a.b", True),
        ("a.b.*", True),
        ("-a.b.*", True),
        ("-*", True),
        ("a..b", False),
        ("a.*.b", False),
        ("", False),
        ("a b", False),
        ("*.a", False),
        ("--a", False),
        ("sales.opportunity.product.add", True),
    ],
)
def test_entry_syntax(entry: str, valid: bool) -> None:
    assert is_valid_entry(entry) is valid


def test_field_gate_keeps_granted_keys_only() -> None:
    perms = PermissionSet.of(["obj.user.id", "obj.user.name", "obj.role.*"])
    users = [{"id": str(i), "name": f"n{i}", "email": f"{i}@x"} for i in range(5000)]
    gated = gate(perms, "obj.user", users)
    assert len(gated) == 5000 and gated[42] == {"id": "42", "name": "n42"}
    assert gate(perms, "obj.role", {"id": 1, "title": "t"}) == {"id": 1, "title": "t"}
    assert gate(PermissionSet.of(["*", "-obj.user.email"]), "obj.user", users[0]) == {"id": "0", "name": "n0"}
    assert gate(PermissionSet.of([]), "obj.user", users[0]) == {}


def test_filter_on_hidden_field_is_refused() -> None:
    gate_filter = FieldGateFilter(PermissionSet.of(["obj.company.name"]), "obj.company")
    gate_filter.require_readable(["name"], "search")
    with pytest.raises(ApiError) as info:
        gate_filter.require_readable(["name", "cw_Identifier"], "sort")
    assert info.value.status == 403 and info.value.extra["missing"] == ["obj.company.cw_Identifier"]
