"""Create, update and delete records with ConnectWise's side effects, shared by the API and ``touch``."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from .callbacks import CallbackDispatcher
from .errors import not_found
from .records import Record, clone, compact, make_info
from .references import make_reference, refresh_references_to
from .resources import SPECS, CollectionSpec
from .rules import WriteContext, finish_info, forecast_item_for_product, prepare, sync_forecast_from_product
from .store import RecordStore


@dataclass
class Outcome:
    """The stored record after a write and the callback deliveries it started."""

    record: Record
    deliveries: list[asyncio.Task[None]]


class Operations:
    """Writes to the store that keep derived records in step and notify callbacks."""

    def __init__(self, store: RecordStore, dispatcher: CallbackDispatcher) -> None:
        self.store = store
        self.dispatcher = dispatcher

    def require_parent(self, spec: CollectionSpec, parent_id: int | None) -> None:
        """404 unless the parent record of a sub-resource exists."""
        if spec.parent is not None:
            if parent_id is None or self.store.get(spec.parent, parent_id) is None:
                raise not_found(SPECS[spec.parent].label, parent_id if parent_id is not None else "")

    def existing(self, spec: CollectionSpec, record_id: int, parent_id: int | None = None) -> Record:
        """The stored record (under ``parent_id`` for sub-resources), else a ConnectWise 404."""
        self.require_parent(spec, parent_id)
        record = self.store.get(spec.name, record_id)
        if record is None or (spec.parent is not None and self.store.parent_of(spec.name, record_id) != parent_id):
            raise not_found(spec.label, record_id)
        return record

    def create(self, spec: CollectionSpec, body: Any, member: str, parent_id: int | None = None) -> Outcome:
        """POST: validate, assign an id, store, add derived records, notify ``added``."""
        store = self.store
        with store.lock:
            self.require_parent(spec, parent_id)
            ctx = WriteContext(store, spec, member, store.now(), parent_id)
            record = prepare(ctx, body)
            record = {"id": store.next_id(spec.name), **record}
            store.put(spec.name, record, parent_id)
            finish_info(store, spec, record)
            self._after_create(spec, record, member, ctx)
            snapshot = clone(record)
        return Outcome(snapshot, self._notify(spec, "added", snapshot, member))

    def update(
        self,
        spec: CollectionSpec,
        record_id: int,
        body: Any,
        member: str,
        parent_id: int | None = None,
        action: str = "updated",
    ) -> Outcome:
        """PUT/PATCH (``body`` is the whole new record): validate, store, refresh references, notify."""
        store = self.store
        with store.lock:
            existing = self.existing(spec, record_id, parent_id)
            if spec.parent is not None:
                parent_id = store.parent_of(spec.name, record_id)
            ctx = WriteContext(store, spec, member, store.now(), parent_id, existing)
            record = prepare(ctx, body)
            store.put(spec.name, record, parent_id)
            finish_info(store, spec, record)
            refresh_references_to(store, spec.name, record_id)
            if spec.name == "products":
                sync_forecast_from_product(store, record, member, ctx.now)
            snapshot = clone(record)
        return Outcome(snapshot, self._notify(spec, action, snapshot, member))

    def delete(self, spec: CollectionSpec, record_id: int, member: str, parent_id: int | None = None) -> Outcome:
        """DELETE: remove the record and what hangs off it, notify ``deleted``."""
        store = self.store
        with store.lock:
            record = self.existing(spec, record_id, parent_id)
            snapshot = clone(record)
            store.remove(spec.name, record_id)
            if spec.name == "products" and isinstance(record.get("forecastDetailId"), int):
                store.remove("forecast_items", record["forecastDetailId"])
            if spec.name == "forecast_items":
                for product in store.records("products"):
                    if product.get("forecastDetailId") == record_id:
                        store.remove("products", product["id"])
        return Outcome(snapshot, self._notify(spec, "deleted", snapshot, member))

    def _notify(self, spec: CollectionSpec, action: str, record: Record, member: str) -> list[asyncio.Task[None]]:
        if spec.callback_type is None:
            return []
        return self.dispatcher.dispatch(spec, action, record, member)

    def _after_create(self, spec: CollectionSpec, record: Record, member: str, ctx: WriteContext) -> None:
        store = self.store
        if spec.name == "companies" and "site" not in record:
            site = compact(
                {
                    "id": store.next_id("sites"),
                    "name": "Main",
                    "addressLine1": record.get("addressLine1"),
                    "addressLine2": record.get("addressLine2"),
                    "city": record.get("city"),
                    "state": record.get("state"),
                    "zip": record.get("zip"),
                    "country": record.get("country"),
                    "phoneNumber": record.get("phoneNumber"),
                    "faxNumber": record.get("faxNumber"),
                    "primaryAddressFlag": True,
                    "defaultShippingFlag": True,
                    "defaultBillingFlag": True,
                    "defaultMailingFlag": True,
                    "inactiveFlag": False,
                    "company": make_reference(store, "companies", record),
                    "_info": make_info(ctx.now, member),
                }
            )
            store.put("sites", site, record["id"])
            record["site"] = make_reference(store, "sites", site)
        elif spec.name == "products" and record.get("opportunity"):
            if record.get("forecastDetailId") is None:
                item = forecast_item_for_product(store, record, member, ctx.now)
                store.put("forecast_items", item, record["opportunity"]["id"])
                record["forecastDetailId"] = item["id"]
            else:
                sync_forecast_from_product(store, record, member, ctx.now)
        elif spec.name == "catalog" and record.get("productClass") == "Inventory":
            warehouse = next(iter(store.records("warehouses")), None)
            bin_ = next(iter(store.records("warehouse_bins")), None)
            inventory = compact(
                {
                    "id": store.next_id("inventory"),
                    "catalogItem": make_reference(store, "catalog", record),
                    "warehouse": make_reference(store, "warehouses", warehouse) if warehouse else None,
                    "warehouseBin": make_reference(store, "warehouse_bins", bin_) if bin_ else None,
                    "onHand": 0,
                    "_info": make_info(ctx.now, member),
                }
            )
            store.put("inventory", inventory, record["id"])
