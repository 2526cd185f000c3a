"""Benchmark: field-gate 10,000 objects of 12 keys for one principal (run: python bench/bench_field_gate.py)."""

from __future__ import annotations

import time

from optima_platform.permissions.gates import gate
from optima_platform.permissions.matcher import PermissionSet


def main() -> None:
    perms = PermissionSet.of(["obj.catalogItem.*", "-obj.catalogItem.cost", "-obj.catalogItem.margin", "company.*"])
    keys = [
        "id",
        "identifier",
        "description",
        "price",
        "cost",
        "margin",
        "vendor",
        "category",
        "subcategory",
        "manufacturer",
        "inactive",
        "onHand",
    ]
    objects = [{k: i for k in keys} for i in range(10_000)]
    for _ in range(3):
        start = time.perf_counter()
        gated = gate(perms, "obj.catalogItem", objects)
        elapsed = time.perf_counter() - start
        print(f"gated {len(gated)} objects in {elapsed * 1000:.1f} ms ({len(gated) / elapsed:,.0f}/s)")


if __name__ == "__main__":
    main()
