"""Reference objects (``{"id", "name", "_info": {"company_href"}}``): building, resolving, refreshing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import field_error
from .records import Record, href
from .resources import SPECS, CollectionSpec
from .store import RecordStore


def record_path(store: RecordStore, spec: CollectionSpec, record_id: int) -> str | None:
    """The API path of one record (``/company/companies/250/sites/7``), or ``None`` when unrouted."""
    if spec.path is None:
        return None
    path = spec.path
    if "{parent}" in path:
        parent_id = store.parent_of(spec.name, record_id)
        if parent_id is None:
            return None
        path = path.replace("{parent}", str(parent_id))
    return f"{path}/{record_id}"


def make_reference(store: RecordStore, collection: str, record: Mapping[str, Any]) -> Record:
    """The reference other records embed to point at ``record``."""
    spec = SPECS[collection]
    reference: Record = {"id": record["id"]}
    for name in spec.ref_fields:
        value = spec.ref_name(record) if name == "name" else record.get(name)
        if value is not None:
            reference[name] = value
    path = record_path(store, spec, int(record["id"]))
    if path is not None:
        reference["_info"] = {spec.href_key or f"{spec.resource}_href": href(path)}
    return reference


def reference_to(store: RecordStore, collection: str, record_id: int) -> Record | None:
    """A reference to ``collection`` record ``record_id``, or ``None`` if there is no such record."""
    record = store.get(collection, record_id)
    return None if record is None else make_reference(store, collection, record)


def find_referenced(store: RecordStore, collection: str, value: Mapping[str, Any]) -> Record | None:
    """The record a client's reference names by ``id``, else ``identifier``, else ``name``."""
    record_id = value.get("id")
    if record_id is not None:
        if isinstance(record_id, bool) or not isinstance(record_id, int):
            return None
        return store.get(collection, record_id)
    for key in ("identifier", "name"):
        wanted = value.get(key)
        if isinstance(wanted, str) and wanted:
            if collection in ("members", "contacts") and key == "name":
                spec = SPECS[collection]
                folded = wanted.casefold()
                return next(
                    (r for r in store.records(collection) if (spec.ref_name(r) or "").casefold() == folded),
                    None,
                )
            found = store.find(collection, key, wanted)
            if found is not None:
                return found
    return None


def resolve_reference(
    store: RecordStore, owner: CollectionSpec, field: str, collection: str, value: Any, errors: list[Record]
) -> Record | None:
    """The canonical reference for a client-sent ``value``; appends a ConnectWise field error if invalid."""
    if not isinstance(value, Mapping):
        errors.append(
            field_error(
                "InvalidObject",
                f'{field} must be a reference object such as {{"id": 1}}',
                owner.resource,
                field,
            )
        )
        return None
    found = find_referenced(store, collection, value)
    if found is None:
        target = SPECS[collection]
        shown = value.get("id", value.get("identifier", value.get("name")))
        errors.append(field_error("NotFound", f"{target.label} {shown} not found", owner.resource, f"{field}/id"))
        return None
    return make_reference(store, collection, found)


def refresh_references_to(store: RecordStore, collection: str, record_id: int) -> None:
    """Rewrite every embedded reference to one record after it changed (names are always current)."""
    target = store.get(collection, record_id)
    if target is None:
        return
    fresh = make_reference(store, collection, target)
    with store.lock:
        for spec in SPECS.values():
            fields = [name for name, points_to in spec.references.items() if points_to == collection]
            lists = [name for name, points_to in spec.list_references.items() if points_to == collection]
            if not fields and not lists:
                continue
            touched = False
            for record in store.collection(spec.name).values():
                for name in fields:
                    current = record.get(name)
                    if isinstance(current, dict) and current.get("id") == record_id and current != fresh:
                        record[name] = dict(fresh)
                        touched = True
                for name in lists:
                    items = record.get(name)
                    if isinstance(items, list):
                        for index, item in enumerate(items):
                            if isinstance(item, dict) and item.get("id") == record_id:
                                items[index] = dict(fresh)
                                touched = True
            if touched:
                store.changed(spec.name)
