"""What each ConnectWise collection is: its route, labels, references, required fields and callback type."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .records import full_name


@dataclass(frozen=True)
class CollectionSpec:
    """One collection of records: how it is addressed, validated and referenced from other records."""

    #: Store key, e.g. ``"companies"``.
    name: str
    #: Record type as ConnectWise names it in a 404 (``"Company recordId 9 not found"``).
    label: str
    #: Resource name in ``InvalidObject`` errors (``"company object is invalid"``).
    resource: str
    #: Route under ``apis/3.0`` (``{parent}`` for the parent's id), or ``None`` for lookups only referenced.
    path: str | None = None
    #: Extra fields a reference to a record here carries besides ``id`` (``name`` is computed when absent).
    ref_fields: tuple[str, ...] = ("name",)
    #: Key of the href inside a reference's ``_info`` (``company_href``).
    href_key: str = ""
    #: Parent collection of a sub-resource (sites of a company, notes of an opportunity).
    parent: str | None = None
    #: The child's field that names its parent: a reference object, or a bare id when ``parent_is_id``.
    parent_field: str | None = None
    parent_is_id: bool = False
    #: Reference fields (``{"id": …}`` objects) and the collection each points into.
    references: Mapping[str, str] = field(default_factory=dict)
    #: List fields whose elements are references (company ``types``).
    list_references: Mapping[str, str] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    max_lengths: Mapping[str, int] = field(default_factory=dict)
    #: Fields whose value must be unique in the collection (``ObjectExists`` otherwise).
    unique: tuple[str, ...] = ()
    #: Verbs the route answers besides GET.
    writable: bool = True
    #: Whether ``POST …/search`` exists.
    searchable: bool = False
    #: The callback ``Type`` changes to these records are delivered as.
    callback_type: str | None = None
    #: Fields valid in conditions and patches even when no stored record carries them yet.
    extra_fields: tuple[str, ...] = ()
    #: Fields a PATCH or PUT may not change.
    read_only_fields: tuple[str, ...] = ("id", "_info")
    extra: Mapping[str, Any] = field(default_factory=dict)

    def ref_name(self, record: Mapping[str, Any]) -> str | None:
        """The ``name`` a reference to ``record`` shows."""
        if self.name in ("members", "contacts"):
            return full_name(record.get("firstName"), record.get("lastName")) or None
        if self.name == "opportunity_types":
            return record.get("description")
        return record.get("name")


def _lookup(name: str, label: str, path: str | None = None, **kwargs: Any) -> CollectionSpec:
    return CollectionSpec(name=name, label=label, resource=label[0].lower() + label[1:], path=path, **kwargs)


_COMPANY_REF = ("identifier", "name")

SPECS: dict[str, CollectionSpec] = {
    spec.name: spec
    for spec in (
        CollectionSpec(
            name="members",
            label="Member",
            resource="member",
            path="/system/members",
            ref_fields=("identifier", "name"),
            href_key="member_href",
            required=("identifier", "firstName"),
            max_lengths={"identifier": 15, "firstName": 30, "lastName": 30},
            unique=("identifier",),
            searchable=True,
            callback_type="member",
            extra_fields=("lastName", "title", "officeEmail", "officePhone", "defaultEmail"),
        ),
        CollectionSpec(
            name="companies",
            label="Company",
            resource="company",
            path="/company/companies",
            ref_fields=_COMPANY_REF,
            href_key="company_href",
            references={
                "status": "company_statuses",
                "country": "countries",
                "territory": "territories",
                "market": "markets",
                "defaultContact": "contacts",
                "site": "sites",
                "timeZoneSetup": "time_zones",
            },
            list_references={"types": "company_types"},
            required=("identifier", "name"),
            max_lengths={"identifier": 25, "name": 50, "addressLine1": 50, "addressLine2": 50, "city": 50},
            unique=("identifier",),
            searchable=True,
            callback_type="company",
            extra_fields=("addressLine2", "faxNumber", "website", "defaultContact", "site", "market"),
        ),
        CollectionSpec(
            name="sites",
            label="CompanySite",
            resource="site",
            path="/company/companies/{parent}/sites",
            href_key="site_href",
            parent="companies",
            parent_field="company",
            references={"country": "countries"},
            required=("name",),
            max_lengths={"name": 50, "addressLine1": 50, "addressLine2": 50, "city": 50},
            extra_fields=("addressLine2", "faxNumber"),
        ),
        CollectionSpec(
            name="contacts",
            label="Contact",
            resource="contact",
            path="/company/contacts",
            href_key="contact_href",
            references={"company": "companies", "site": "sites"},
            required=("firstName",),
            max_lengths={"firstName": 30, "lastName": 30, "title": 100},
            searchable=True,
            callback_type="contact",
            extra_fields=("lastName", "title", "site", "company"),
        ),
        CollectionSpec(
            name="configurations",
            label="Configuration",
            resource="configuration",
            path="/company/configurations",
            href_key="configuration_href",
            references={
                "type": "configuration_types",
                "status": "configuration_statuses",
                "company": "companies",
                "contact": "contacts",
                "site": "sites",
                "manufacturer": "manufacturers",
            },
            required=("name", "type", "company"),
            max_lengths={"name": 100},
            searchable=True,
            callback_type="configuration",
            extra_fields=("contact", "site", "ipAddress", "macAddress", "warrantyExpirationDate", "notes"),
        ),
        CollectionSpec(
            name="opportunities",
            label="Opportunity",
            resource="opportunity",
            path="/sales/opportunities",
            href_key="opportunity_href",
            references={
                "type": "opportunity_types",
                "stage": "stages",
                "status": "opportunity_statuses",
                "priority": "opportunity_priorities",
                "probability": "opportunity_probabilities",
                "rating": "opportunity_ratings",
                "campaign": "campaigns",
                "primarySalesRep": "members",
                "secondarySalesRep": "members",
                "company": "companies",
                "contact": "contacts",
                "site": "sites",
                "closedBy": "members",
            },
            required=("name", "expectedCloseDate", "primarySalesRep", "company", "contact"),
            max_lengths={"name": 100, "customerPO": 25, "source": 50},
            searchable=True,
            callback_type="opportunity",
            extra_fields=(
                "notes",
                "campaign",
                "secondarySalesRep",
                "site",
                "customerPO",
                "closedDate",
                "closedBy",
                "pipelineChangeDate",
                "dateBecameLead",
                "source",
                "rating",
                "locationId",
                "businessUnitId",
            ),
        ),
        CollectionSpec(
            name="opportunity_notes",
            label="OpportunityNote",
            resource="note",
            path="/sales/opportunities/{parent}/notes",
            parent="opportunities",
            parent_field="opportunityId",
            parent_is_id=True,
            references={"type": "note_types"},
            required=("text",),
            extra_fields=("type",),
        ),
        CollectionSpec(
            name="opportunity_contacts",
            label="OpportunityContact",
            resource="contact",
            path="/sales/opportunities/{parent}/contacts",
            parent="opportunities",
            references={"contact": "contacts", "company": "companies", "role": "contact_roles"},
            required=("contact",),
            max_lengths={"notes": 100},
            extra_fields=("role", "notes"),
        ),
        CollectionSpec(
            name="forecast_items",
            label="ForecastItem",
            resource="forecastItem",
            path="/sales/opportunities/{parent}/forecast",
            parent="opportunities",
            parent_field="opportunity",
            references={"status": "opportunity_statuses", "catalogItem": "catalog"},
            extra_fields=("catalogItem", "productDescription"),
        ),
        CollectionSpec(
            name="opportunity_statuses",
            label="OpportunityStatus",
            resource="status",
            path="/sales/opportunities/statuses",
            required=("name",),
            max_lengths={"name": 30},
            unique=("name",),
        ),
        CollectionSpec(
            name="opportunity_types",
            label="OpportunityType",
            resource="type",
            path="/sales/opportunities/types",
            required=("description",),
            max_lengths={"description": 50},
        ),
        CollectionSpec(
            name="stages",
            label="OpportunityStage",
            resource="stage",
            path="/sales/stages",
            required=("name",),
            max_lengths={"name": 50},
        ),
        CollectionSpec(
            name="activities",
            label="Activity",
            resource="activity",
            path="/sales/activities",
            href_key="activity_href",
            references={
                "type": "activity_types",
                "status": "activity_statuses",
                "company": "companies",
                "contact": "contacts",
                "opportunity": "opportunities",
                "ticket": "tickets",
                "campaign": "campaigns",
                "assignTo": "members",
                "assignedBy": "members",
            },
            required=("name", "assignTo"),
            max_lengths={"name": 100},
            searchable=True,
            callback_type="activity",
            extra_fields=("notes", "ticket", "campaign", "contact", "company", "opportunity", "dateStart", "dateEnd"),
        ),
        CollectionSpec(
            name="products",
            label="ProductItem",
            resource="productItem",
            path="/procurement/products",
            ref_fields=("description",),
            href_key="product_href",
            references={"catalogItem": "catalog", "opportunity": "opportunities", "cancelledBy": "members"},
            required=("catalogItem", "billableOption"),
            searchable=True,
            extra_fields=("opportunity", "forecastDetailId", "cancelledReason", "cancelledBy", "cancelledDate"),
            extra={"billable_options": ("Billable", "DoNotBill", "NoCharge", "NoDefault")},
        ),
        CollectionSpec(
            name="catalog",
            label="CatalogItem",
            resource="catalogItem",
            path="/procurement/catalog",
            ref_fields=("identifier",),
            href_key="catalog_href",
            references={
                "category": "categories",
                "subcategory": "subcategories",
                "manufacturer": "manufacturers",
                "vendor": "companies",
                "type": "product_types",
                "unitOfMeasure": "units_of_measure",
            },
            required=("identifier", "description"),
            max_lengths={"description": 60},
            unique=("identifier",),
            searchable=True,
            callback_type="productcatalog",
            extra_fields=("customerDescription", "manufacturerPartNumber", "vendor", "vendorSku", "notes"),
        ),
        CollectionSpec(
            name="inventory",
            label="Inventory",
            resource="inventory",
            path="/procurement/catalog/{parent}/inventory",
            parent="catalog",
            parent_field="catalogItem",
            references={"warehouse": "warehouses", "warehouseBin": "warehouse_bins"},
            writable=False,
        ),
        CollectionSpec(
            name="categories",
            label="Category",
            resource="category",
            path="/procurement/categories",
            required=("name",),
            max_lengths={"name": 50},
            unique=("name",),
        ),
        CollectionSpec(
            name="subcategories",
            label="Subcategory",
            resource="subcategory",
            path="/procurement/subcategories",
            references={"category": "categories"},
            required=("name", "category"),
            max_lengths={"name": 50},
        ),
        CollectionSpec(
            name="manufacturers",
            label="Manufacturer",
            resource="manufacturer",
            path="/procurement/manufacturers",
            required=("name",),
            max_lengths={"name": 50},
            unique=("name",),
        ),
        CollectionSpec(
            name="callbacks",
            label="Callback",
            resource="callback",
            path="/system/callbacks",
            ref_fields=("description",),
            required=("url", "objectId", "type", "level"),
            max_lengths={"description": 100, "url": 1000},
            extra_fields=("description",),
        ),
        CollectionSpec(
            name="tickets",
            label="Ticket",
            resource="ticket",
            path="/service/tickets",
            ref_fields=("summary",),
            href_key="ticket_href",
            references={
                "board": "boards",
                "status": "ticket_statuses",
                "company": "companies",
                "site": "sites",
                "contact": "contacts",
                "priority": "ticket_priorities",
                "owner": "members",
            },
            required=("summary", "company"),
            max_lengths={"summary": 100},
            searchable=True,
            callback_type="ticket",
            extra_fields=("owner", "contact", "site", "closedDate"),
        ),
        _lookup("company_statuses", "CompanyStatus", "/company/companies/statuses", required=("name",)),
        _lookup("company_types", "CompanyType", "/company/companies/types", required=("name",)),
        _lookup("countries", "Country", "/company/countries", required=("name",)),
        _lookup("territories", "Territory"),
        _lookup("markets", "Market", "/company/marketDescriptions", required=("name",)),
        _lookup("time_zones", "TimeZoneSetup"),
        _lookup("configuration_types", "ConfigurationType", "/company/configurations/types", required=("name",)),
        _lookup(
            "configuration_statuses",
            "ConfigurationStatus",
            "/company/configurations/statuses",
            ref_fields=("name",),
            required=("description",),
        ),
        _lookup("communication_types", "CommunicationType", "/company/communicationTypes"),
        _lookup("opportunity_priorities", "OpportunityPriority"),
        _lookup("opportunity_probabilities", "Probability", "/sales/probabilities"),
        _lookup("opportunity_ratings", "OpportunityRating", "/sales/opportunities/ratings"),
        _lookup("campaigns", "Campaign", "/marketing/campaigns"),
        _lookup("note_types", "NoteType"),
        _lookup("contact_roles", "ContactRole"),
        _lookup("activity_types", "ActivityType", "/sales/activities/types", required=("name",)),
        _lookup("activity_statuses", "ActivityStatus", "/sales/activities/statuses", required=("name",)),
        _lookup("boards", "Board", "/service/boards", required=("name",)),
        _lookup("ticket_statuses", "BoardStatus"),
        _lookup("ticket_priorities", "Priority", "/service/priorities", required=("name",)),
        _lookup("warehouses", "Warehouse", "/procurement/warehouses", required=("name",)),
        _lookup("warehouse_bins", "WarehouseBin", "/procurement/warehouseBins", required=("name",)),
        _lookup("product_types", "ProductType", "/procurement/types", required=("name",)),
        _lookup("units_of_measure", "UnitOfMeasure", "/procurement/unitOfMeasures", required=("name",)),
    )
}

#: ``touch`` and callbacks accept these names for collections (a callback ``Type`` or a singular noun).
KIND_ALIASES: dict[str, str] = {
    "member": "members",
    "company": "companies",
    "site": "sites",
    "contact": "contacts",
    "configuration": "configurations",
    "opportunity": "opportunities",
    "activity": "activities",
    "product": "products",
    "productcatalog": "catalog",
    "catalogitem": "catalog",
    "catalog_item": "catalog",
    "ticket": "tickets",
    "note": "opportunity_notes",
    "forecast": "forecast_items",
    "forecastitem": "forecast_items",
    "callback": "callbacks",
}

#: Callback ``type`` values a registration may use.
CALLBACK_TYPES: frozenset[str] = frozenset(
    spec.callback_type for spec in SPECS.values() if spec.callback_type is not None
)


def resolve_kind(kind: str) -> CollectionSpec:
    """The collection a ``touch`` kind (``"company"``, ``"companies"``, ``"opportunity"``, …) names."""
    key = kind.strip()
    name = KIND_ALIASES.get(key.lower(), key)
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"unknown ConnectWise record kind {kind!r}") from None
