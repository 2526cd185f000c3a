"""Writing records as ConnectWise does: references resolved, required fields, defaults, derived values."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .errors import field_error, invalid_object
from .records import Record, clone, compact, format_datetime, href, make_info, parse_datetime
from .references import make_reference, record_path, reference_to, resolve_reference
from .resources import CALLBACK_TYPES, CollectionSpec
from .store import RecordStore

PRODUCT_CLASSES = ("Agreement", "Bundle", "Inventory", "NonInventory", "Service")
FORECAST_TYPES = ("Agreement", "Expense", "Product", "Service", "Time")

#: Datetime fields a client may send as a date or datetime; stored as ``2026-06-01T00:00:00Z``.
DATE_FIELDS: dict[str, tuple[str, ...]] = {
    "opportunities": ("expectedCloseDate", "pipelineChangeDate", "dateBecameLead", "closedDate"),
    "activities": ("dateStart", "dateEnd"),
    "configurations": ("installationDate", "warrantyExpirationDate", "purchaseDate"),
    "products": ("cancelledDate",),
    "companies": ("dateAcquired",),
    "tickets": ("requiredDate", "closedDate"),
}

#: ``_info`` hrefs records of a collection carry besides the audit fields.
INFO_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "companies": (("sites_href", "/sites"), ("contacts_href", "")),
    "opportunities": (("notes_href", "/notes"), ("contacts_href", "/contacts"), ("forecast_href", "/forecast")),
    "catalog": (("inventory_href", "/inventory"),),
}


@dataclass
class WriteContext:
    """Who writes what, and when: shared by every rule."""

    store: RecordStore
    spec: CollectionSpec
    member: str
    now: datetime
    parent_id: int | None = None
    existing: Record | None = None

    @property
    def creating(self) -> bool:
        """True for POST."""
        return self.existing is None


Rule = Callable[[WriteContext, Record, list[Record]], None]


def prepare(ctx: WriteContext, incoming: Any) -> Record:
    """The record to store for a POST/PUT/PATCH body; raises a 400 ``InvalidObject`` when invalid."""
    spec = ctx.spec
    if not isinstance(incoming, dict):
        raise invalid_object(
            spec.resource,
            [field_error("InvalidObject", "The request body must be a JSON object", spec.resource, "")],
        )
    record: Record = compact(clone(incoming))
    record.pop("_info", None)
    if ctx.existing is not None:
        record["id"] = ctx.existing["id"]
    else:
        record.pop("id", None)
    errors: list[Record] = []
    _set_parent(ctx, record)
    for name, collection in spec.references.items():
        if name in record and not (spec.parent_field == name and ctx.parent_id is not None):
            resolved = resolve_reference(ctx.store, spec, name, collection, record[name], errors)
            if resolved is None:
                record.pop(name, None)
            else:
                record[name] = resolved
    for name, collection in spec.list_references.items():
        items = record.get(name)
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(field_error("InvalidObject", f"{name} must be an array", spec.resource, name))
            continue
        record[name] = [
            ref
            for item in items
            if (ref := resolve_reference(ctx.store, spec, name, collection, item, errors)) is not None
        ]
    _normalise_dates(ctx, record, errors)
    rule = RULES.get(spec.name)
    if rule is not None and not errors:
        rule(ctx, record, errors)
    for name in spec.required:
        value = record.get(name)
        if value is None or value == "" or value == []:
            errors.append(field_error("NullOrEmptyField", f"The field {name} is required.", spec.resource, name))
    for name, limit in spec.max_lengths.items():
        value = record.get(name)
        if isinstance(value, str) and len(value) > limit:
            errors.append(
                field_error(
                    "MaxLengthField",
                    f"The field {name} must be a string with a maximum length of {limit}.",
                    spec.resource,
                    name,
                )
            )
    for name in spec.unique:
        value = record.get(name)
        if isinstance(value, str):
            clash = ctx.store.find(spec.name, name, value)
            if clash is not None and clash["id"] != record.get("id"):
                errors.append(
                    field_error("ObjectExists", f"The {name} '{value}' is already in use.", spec.resource, name)
                )
    if errors:
        raise invalid_object(spec.resource, errors)
    if ctx.existing is not None:
        old = ctx.existing.get("_info", {})
        info = make_info(ctx.now, ctx.member)
        info["dateEntered"] = old.get("dateEntered", info["dateEntered"])
        info["enteredBy"] = old.get("enteredBy", info["enteredBy"])
    else:
        info = make_info(ctx.now, ctx.member)
    record["_info"] = info
    return record


def finish_info(store: RecordStore, spec: CollectionSpec, record: Record) -> None:
    """Add the ``_info`` hrefs (``sites_href``, …) once the record has its id."""
    base = record_path(store, spec, int(record["id"]))
    info = record.setdefault("_info", {})
    if base is None:
        return
    for key, suffix in INFO_LINKS.get(spec.name, ()):
        if key == "contacts_href" and spec.name == "companies":
            info[key] = href(f"/company/contacts?conditions=company/id={record['id']}")
        else:
            info[key] = href(base + suffix)


def _set_parent(ctx: WriteContext, record: Record) -> None:
    spec = ctx.spec
    if ctx.parent_id is None or spec.parent_field is None or spec.parent is None:
        return
    if spec.parent_is_id:
        record[spec.parent_field] = ctx.parent_id
    else:
        reference = reference_to(ctx.store, spec.parent, ctx.parent_id)
        if reference is not None:
            record[spec.parent_field] = reference


def _normalise_dates(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    for name in DATE_FIELDS.get(ctx.spec.name, ()):
        value = record.get(name)
        if value is None:
            continue
        moment = parse_datetime(value) if isinstance(value, str) else None
        if moment is None:
            errors.append(field_error("InvalidField", f"The field {name} must be a datetime.", ctx.spec.resource, name))
        else:
            record[name] = format_datetime(moment)


def _default_ref(ctx: WriteContext, record: Record, field: str, collection: str, record_id: int) -> None:
    if field not in record:
        reference = reference_to(ctx.store, collection, record_id)
        if reference is not None:
            record[field] = reference


def _first_id(ctx: WriteContext, collection: str, **match: Any) -> int | None:
    for candidate in ctx.store.records(collection):
        if all(candidate.get(key) == value for key, value in match.items()):
            return int(candidate["id"])
    return None


def _check_site(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    site, company = record.get("site"), record.get("company")
    if site and company and ctx.store.parent_of("sites", site["id"]) != company["id"]:
        errors.append(
            field_error(
                "NotFound",
                f"Site {site['id']} not found for Company {company['id']}",
                ctx.spec.resource,
                "site/id",
            )
        )


def _members(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("inactiveFlag", False)


def _companies(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    if ctx.creating:
        _default_ref(ctx, record, "status", "company_statuses", 1)
        _default_ref(ctx, record, "country", "countries", 1)
        if "types" not in record:
            client = reference_to(ctx.store, "company_types", 1)
            record["types"] = [client] if client else []
    record.setdefault("deletedFlag", False)
    record.setdefault("leadFlag", False)
    record.setdefault("unsubscribeFlag", False)
    record.setdefault("isVendorFlag", False)
    site = record.get("site")
    if site and ctx.existing is not None and ctx.store.parent_of("sites", site["id"]) != record["id"]:
        errors.append(field_error("NotFound", f"Site {site['id']} not found for this company", "company", "site/id"))


def _sites(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    for flag in (
        "primaryAddressFlag",
        "defaultShippingFlag",
        "defaultBillingFlag",
        "defaultMailingFlag",
        "inactiveFlag",
    ):
        record.setdefault(flag, False)
    _default_ref(ctx, record, "country", "countries", 1)


def _contacts(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("inactiveFlag", False)
    record.setdefault("defaultFlag", False)
    _check_site(ctx, record, errors)
    items = record.get("communicationItems")
    if items is None:
        record["communicationItems"] = []
        return
    if not isinstance(items, list):
        errors.append(
            field_error("InvalidObject", "communicationItems must be an array", "contact", "communicationItems")
        )
        return
    used = {item.get("id") for item in items if isinstance(item, dict)}
    next_id = max((i for i in used if isinstance(i, int)), default=0) + 1
    for item in items:
        if not isinstance(item, dict):
            errors.append(
                field_error(
                    "InvalidObject", "communicationItems entries must be objects", "contact", "communicationItems"
                )
            )
            continue
        if not isinstance(item.get("id"), int):
            item["id"] = next_id
            next_id += 1
        kind = resolve_reference(
            ctx.store, ctx.spec, "communicationItems/type", "communication_types", item.get("type", {}), errors
        )
        if kind is not None:
            item["type"] = kind
            definition = ctx.store.get("communication_types", kind["id"]) or {}
            item["communicationType"] = definition.get("communicationType", "Phone")
        item.setdefault("defaultFlag", False)
        if "value" not in item:
            errors.append(
                field_error("NullOrEmptyField", "The field value is required.", "contact", "communicationItems/value")
            )


def _configurations(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    if ctx.creating:
        _default_ref(ctx, record, "status", "configuration_statuses", 1)
    record.setdefault("activeFlag", True)
    _check_site(ctx, record, errors)


def _opportunity_status(ctx: WriteContext, status_id: int) -> Record:
    return ctx.store.get("opportunity_statuses", status_id) or {}


def _opportunities(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    if ctx.creating:
        default_status = _first_id(ctx, "opportunity_statuses", defaultFlag=True)
        if default_status is not None:
            _default_ref(ctx, record, "status", "opportunity_statuses", default_status)
        first_stage = _first_id(ctx, "stages")
        if first_stage is not None:
            _default_ref(ctx, record, "stage", "stages", first_stage)
        record.setdefault("locationId", 1)
        record.setdefault("businessUnitId", 1)
        record.setdefault("totalSalesTax", 0)
        record.setdefault("customFields", [])
    status = record.get("status")
    if status:
        definition = _opportunity_status(ctx, status["id"])
        closed = bool(definition.get("closedFlag") or definition.get("wonFlag") or definition.get("lostFlag"))
        was_closed = bool(ctx.existing and ctx.existing.get("closedFlag"))
        record["closedFlag"] = closed
        if closed and not was_closed:
            record.setdefault("closedDate", format_datetime(ctx.now))
        if not closed:
            record.pop("closedDate", None)
            record.pop("closedBy", None)
        if ctx.existing is None or (ctx.existing.get("status") or {}).get("id") != status["id"]:
            record["pipelineChangeDate"] = format_datetime(ctx.now)
    _check_site(ctx, record, errors)
    contact, company = record.get("contact"), record.get("company")
    if contact and company:
        owner = (ctx.store.get("contacts", contact["id"]) or {}).get("company", {}).get("id")
        if owner != company["id"]:
            errors.append(
                field_error(
                    "InvalidObject",
                    f"Contact {contact['id']} does not belong to Company {company['id']}",
                    "opportunity",
                    "contact/id",
                )
            )


def _notes(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("flagged", False)
    if ctx.creating:
        record.setdefault("enteredBy", ctx.member)
    elif ctx.existing is not None and "enteredBy" in ctx.existing:
        record["enteredBy"] = ctx.existing["enteredBy"]


def _opportunity_contacts(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("referralFlag", False)
    contact = record.get("contact")
    if contact and "company" not in record:
        owner = (ctx.store.get("contacts", contact["id"]) or {}).get("company")
        if owner:
            record["company"] = dict(owner)


def _forecast_items(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    parent = ctx.store.get("opportunities", ctx.parent_id or 0) or {}
    catalog = ctx.store.get("catalog", record["catalogItem"]["id"]) if record.get("catalogItem") else None
    if ctx.creating:
        if "status" not in record and parent.get("status"):
            record["status"] = dict(parent["status"])
        record.setdefault("quantity", 1)
        record.setdefault("forecastType", "Product")
        record.setdefault("productClass", (catalog or {}).get("productClass", "NonInventory"))
        record.setdefault("forecastDescription", record["forecastType"])
        if catalog is not None:
            record.setdefault("productDescription", catalog.get("description"))
            record.setdefault("taxableFlag", catalog.get("taxableFlag", True))
        siblings = ctx.store.records("forecast_items", ctx.parent_id)
        record.setdefault("sequenceNumber", max((s.get("sequenceNumber", 0) for s in siblings), default=0) + 1)
    for name, default in (
        ("revenue", 0.0),
        ("cost", 0.0),
        ("includeFlag", True),
        ("linkFlag", False),
        ("recurringFlag", False),
        ("taxableFlag", True),
        ("recurringRevenue", 0.0),
        ("recurringCost", 0.0),
        ("cycles", 0),
        ("subNumber", 0),
    ):
        record.setdefault(name, default)
    if record.get("forecastType") not in FORECAST_TYPES:
        errors.append(
            field_error(
                "InvalidField",
                f"forecastType must be one of {', '.join(FORECAST_TYPES)}",
                "forecastItem",
                "forecastType",
            )
        )
        return
    quantity = record.get("quantity")
    if not isinstance(quantity, int | float) or quantity <= 0:
        errors.append(field_error("InvalidField", "quantity must be positive", "forecastItem", "quantity"))
    _derive_margin(record)


def _derive_margin(record: Record) -> None:
    revenue = float(record.get("revenue") or 0)
    cost = float(record.get("cost") or 0)
    record["margin"] = round(revenue - cost, 2)
    record["percentage"] = round((revenue - cost) / revenue * 100, 2) if revenue else 0


def _products(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    options = ctx.spec.extra["billable_options"]
    if "billableOption" in record and record["billableOption"] not in options:
        errors.append(
            field_error(
                "InvalidField",
                f"billableOption must be one of {', '.join(options)}",
                "productItem",
                "billableOption",
            )
        )
    catalog = ctx.store.get("catalog", record["catalogItem"]["id"]) if record.get("catalogItem") else None
    if ctx.creating and catalog is not None:
        record.setdefault("description", catalog.get("description"))
        if catalog.get("customerDescription"):
            record.setdefault("customerDescription", catalog["customerDescription"])
        record.setdefault("price", catalog.get("price", 0))
        record.setdefault("cost", catalog.get("cost", 0))
        record.setdefault("taxableFlag", catalog.get("taxableFlag", True))
        record.setdefault("specialOrderFlag", catalog.get("specialOrderFlag", False))
        record.setdefault("productClass", catalog.get("productClass", "NonInventory"))
    record.setdefault("quantity", 1)
    record.setdefault("dropshipFlag", False)
    record.setdefault("quantityCancelled", 0)
    record.setdefault("customFields", [])
    quantity = record.get("quantity")
    cancelled = record.get("quantityCancelled")
    if not isinstance(quantity, int | float) or quantity <= 0:
        errors.append(field_error("InvalidField", "quantity must be positive", "productItem", "quantity"))
    elif not isinstance(cancelled, int | float) or cancelled < 0 or cancelled > quantity:
        errors.append(
            field_error(
                "InvalidField",
                "quantityCancelled must be between 0 and quantity",
                "productItem",
                "quantityCancelled",
            )
        )
    else:
        record["cancelledFlag"] = cancelled > 0
        was_cancelled = bool(ctx.existing and ctx.existing.get("quantityCancelled"))
        if cancelled and not was_cancelled:
            record.setdefault("cancelledDate", format_datetime(ctx.now))
        if not cancelled:
            for name in ("cancelledDate", "cancelledBy", "cancelledReason"):
                record.pop(name, None)
    opportunity = record.get("opportunity")
    detail = record.get("forecastDetailId")
    if detail is not None:
        item = ctx.store.get("forecast_items", detail) if isinstance(detail, int) else None
        if item is None or (opportunity and ctx.store.parent_of("forecast_items", detail) != opportunity["id"]):
            errors.append(
                field_error("NotFound", f"Forecast item {detail} not found", "productItem", "forecastDetailId")
            )
    if ctx.creating and opportunity:
        siblings = [
            p for p in ctx.store.records("products") if (p.get("opportunity") or {}).get("id") == opportunity["id"]
        ]
        record.setdefault("sequenceNumber", max((p.get("sequenceNumber", 0) for p in siblings), default=0) + 1)


def _catalog(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("inactiveFlag", False)
    record.setdefault("taxableFlag", True)
    record.setdefault("productClass", "NonInventory")
    record.setdefault("price", 0)
    record.setdefault("cost", 0)
    for flag in ("dropShipFlag", "specialOrderFlag", "serializedFlag", "recurringFlag"):
        record.setdefault(flag, False)
    if record["productClass"] not in PRODUCT_CLASSES:
        errors.append(
            field_error(
                "InvalidField",
                f"productClass must be one of {', '.join(PRODUCT_CLASSES)}",
                "catalogItem",
                "productClass",
            )
        )
    subcategory = record.get("subcategory")
    if subcategory:
        owner = (ctx.store.get("subcategories", subcategory["id"]) or {}).get("category")
        if "category" not in record and owner:
            record["category"] = dict(owner)
        elif owner and record.get("category", {}).get("id") != owner.get("id"):
            errors.append(
                field_error(
                    "NotFound",
                    f"Subcategory {subcategory['id']} not found for Category {record['category']['id']}",
                    "catalogItem",
                    "subcategory/id",
                )
            )


def _callbacks(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    kind = record.get("type")
    if isinstance(kind, str):
        record["type"] = kind.lower()
        if record["type"] not in CALLBACK_TYPES:
            errors.append(
                field_error(
                    "InvalidField",
                    f"type must be one of {', '.join(sorted(CALLBACK_TYPES))}",
                    "callback",
                    "type",
                )
            )
    if isinstance(record.get("level"), str):
        record["level"] = record["level"].lower()
    object_id = record.get("objectId")
    if object_id is not None and (isinstance(object_id, bool) or not isinstance(object_id, int)):
        errors.append(field_error("InvalidField", "objectId must be an integer", "callback", "objectId"))
    url = record.get("url")
    if isinstance(url, str) and url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            errors.append(field_error("InvalidField", "url must be an absolute http(s) URL", "callback", "url"))
    record.setdefault("description", "")
    record.setdefault("inactiveFlag", False)
    record.setdefault("isSoapCallbackFlag", False)
    record.setdefault("isSelfSuppressedFlag", False)
    record.setdefault("payloadVersion", "2025.1")
    if ctx.existing is not None:
        record["connectWiseID"] = ctx.existing.get("connectWiseID")
        record["memberId"] = ctx.existing.get("memberId")
    else:
        record["connectWiseID"] = str(uuid.uuid4())
        record["memberId"] = record.get("memberId", 0)
    for other in ctx.store.records("callbacks"):
        if other["id"] != record.get("id") and all(
            other.get(key) == record.get(key) for key in ("url", "type", "level", "objectId")
        ):
            errors.append(
                field_error(
                    "ObjectExists",
                    "A callback with this url, type, level and objectId already exists.",
                    "callback",
                    "url",
                )
            )


def _tickets(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    record.setdefault("recordType", "ServiceTicket")
    if ctx.creating:
        board = _first_id(ctx, "boards")
        if board is not None:
            _default_ref(ctx, record, "board", "boards", board)
        status = _first_id(ctx, "ticket_statuses")
        if status is not None:
            _default_ref(ctx, record, "status", "ticket_statuses", status)
        priority = _first_id(ctx, "ticket_priorities")
        if priority is not None:
            _default_ref(ctx, record, "priority", "ticket_priorities", priority)
    status = ctx.store.get("ticket_statuses", record["status"]["id"]) if record.get("status") else None
    record["closedFlag"] = bool(status and status.get("closedStatus"))
    _check_site(ctx, record, errors)


def _activities(ctx: WriteContext, record: Record, errors: list[Record]) -> None:
    if ctx.creating:
        _default_ref(ctx, record, "status", "activity_statuses", 1)
        opportunity = ctx.store.get("opportunities", record["opportunity"]["id"]) if record.get("opportunity") else None
        if opportunity is not None:
            if "company" not in record and opportunity.get("company"):
                record["company"] = dict(opportunity["company"])
            if "contact" not in record and opportunity.get("contact"):
                record["contact"] = dict(opportunity["contact"])
        record.setdefault("customFields", [])
    record.setdefault("notifyFlag", False)
    start, end = record.get("dateStart"), record.get("dateEnd")
    if start and end and end < start:
        errors.append(field_error("InvalidField", "dateEnd must not be before dateStart", "activity", "dateEnd"))


RULES: dict[str, Rule] = {
    "members": _members,
    "companies": _companies,
    "sites": _sites,
    "contacts": _contacts,
    "configurations": _configurations,
    "opportunities": _opportunities,
    "opportunity_notes": _notes,
    "opportunity_contacts": _opportunity_contacts,
    "forecast_items": _forecast_items,
    "products": _products,
    "catalog": _catalog,
    "callbacks": _callbacks,
    "tickets": _tickets,
    "activities": _activities,
}


def sync_forecast_from_product(store: RecordStore, product: Record, member: str, now: datetime) -> None:
    """Keep a product's linked forecast item in step with its quantity, price, cost and description."""
    detail = product.get("forecastDetailId")
    item = store.get("forecast_items", detail) if isinstance(detail, int) else None
    if item is None:
        return
    quantity = product.get("quantity", 1)
    item["quantity"] = quantity
    item["revenue"] = round(float(product.get("price", 0)) * quantity, 2)
    item["cost"] = round(float(product.get("cost", 0)) * quantity, 2)
    if product.get("description"):
        item["productDescription"] = product["description"]
    if product.get("catalogItem"):
        item["catalogItem"] = dict(product["catalogItem"])
    _derive_margin(item)
    item["_info"] = {**item.get("_info", {}), **_audit(now, member)}
    store.changed("forecast_items")


def forecast_item_for_product(store: RecordStore, product: Record, member: str, now: datetime) -> Record:
    """The forecast item ConnectWise creates when a product is added to an opportunity."""
    opportunity_id = product["opportunity"]["id"]
    opportunity = store.get("opportunities", opportunity_id) or {}
    siblings = store.records("forecast_items", opportunity_id)
    product_class = product.get("productClass", "NonInventory")
    forecast_type = {"Service": "Service", "Agreement": "Agreement"}.get(product_class, "Product")
    quantity = product.get("quantity", 1)
    item: Record = {
        "id": store.next_id("forecast_items"),
        "forecastDescription": forecast_type,
        "opportunity": make_reference(store, "opportunities", opportunity) if opportunity else product["opportunity"],
        "quantity": quantity,
        "status": dict(opportunity["status"]) if opportunity.get("status") else None,
        "catalogItem": dict(product["catalogItem"]),
        "productDescription": product.get("description"),
        "productClass": product_class,
        "forecastType": forecast_type,
        "revenue": round(float(product.get("price", 0)) * quantity, 2),
        "cost": round(float(product.get("cost", 0)) * quantity, 2),
        "includeFlag": True,
        "linkFlag": True,
        "recurringFlag": False,
        "taxableFlag": product.get("taxableFlag", True),
        "recurringRevenue": 0.0,
        "recurringCost": 0.0,
        "cycles": 0,
        "sequenceNumber": max((s.get("sequenceNumber", 0) for s in siblings), default=0) + 1,
        "subNumber": 0,
        "_info": make_info(now, member),
    }
    _derive_margin(item)
    return compact(item)


def _audit(now: datetime, member: str) -> Record:
    return {"lastUpdated": format_datetime(now), "updatedBy": member}


def known_fields(store: RecordStore, spec: CollectionSpec) -> set[str]:
    """Top-level fields a PATCH path may name: any stored field plus the spec's declared ones."""
    return (
        store.schema(spec.name).top_level()
        | set(spec.references)
        | set(spec.list_references)
        | set(spec.required)
        | set(spec.extra_fields)
        | set(RULE_FIELDS.get(spec.name, ()))
    )


#: Fields some rules manage that may be absent from every stored record.
RULE_FIELDS: dict[str, tuple[str, ...]] = {
    "products": ("cancelledFlag", "quantityCancelled", "cancelledReason", "cancelledDate", "cancelledBy"),
    "opportunities": ("closedDate", "closedBy", "customFields"),
    "activities": ("customFields",),
    "contacts": ("communicationItems",),
}
