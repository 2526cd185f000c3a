"""Typed, lenient msgspec models of the ConnectWise records the platform reads and writes.

Real ConnectWise responses omit fields the OpenAPI spec calls required and add fields it never
mentions, so every field here is optional with a ``None`` default and unknown fields are ignored
(msgspec's default). Names are snake_case in Python and camelCase on the wire (``rename="camel"``);
``_info`` maps to ``info``. Models encode with ``omit_defaults`` so a partly filled model is a valid
create body: only the fields that were set are sent.

Routes that forward ConnectWise's records as-is use the client's ``get_raw``/``list_raw`` instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import msgspec


class CWModel(msgspec.Struct, rename="camel", omit_defaults=True, kw_only=True):
    """Base of every ConnectWise model: camelCase wire names, optional fields, unknown fields ignored."""


class Info(CWModel):
    """The ``_info`` block's audit stamps (its ``*_href`` links are ignored)."""

    last_updated: datetime | None = None
    updated_by: str | None = None
    date_entered: datetime | None = None
    entered_by: str | None = None


class Reference(CWModel):
    """A reference to another record: ``{"id": 250, "name": "Acme", "identifier": "AcmeCorp"}``."""

    id: int | None = None
    name: str | None = None
    identifier: str | None = None
    info: dict[str, Any] | None = msgspec.field(default=None, name="_info")


class CustomField(CWModel):
    """One custom field; PATCH must send the whole ``customFields`` array."""

    id: int | None = None
    caption: str | None = None
    type: str | None = None
    entry_method: str | None = None
    number_of_decimals: int | None = None
    value: Any = None


class CompanyInfo(msgspec.Struct, kw_only=True):
    """``GET /login/companyinfo/{companyId}``: PascalCase, outside ``apis/3.0``."""

    company_name: str | None = msgspec.field(default=None, name="CompanyName")
    codebase: str | None = msgspec.field(default=None, name="Codebase")
    version_code: str | None = msgspec.field(default=None, name="VersionCode")
    version_number: str | None = msgspec.field(default=None, name="VersionNumber")
    company_id: str | None = msgspec.field(default=None, name="CompanyID")
    is_cloud: bool | None = msgspec.field(default=None, name="IsCloud")


class Member(CWModel):
    """``/system/members``."""

    id: int | None = None
    identifier: str | None = None
    first_name: str | None = None
    middle_initial: str | None = None
    last_name: str | None = None
    title: str | None = None
    office_email: str | None = None
    primary_email: str | None = None
    office_phone: str | None = None
    inactive_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")

    @property
    def full_name(self) -> str:
        """``"First Last"`` from whichever parts exist, else the identifier, else ``""``."""
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or self.identifier or ""


class Company(CWModel):
    """``/company/companies``."""

    id: int | None = None
    identifier: str | None = None
    name: str | None = None
    status: Reference | None = None
    types: list[Reference] | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: Reference | None = None
    phone_number: str | None = None
    fax_number: str | None = None
    website: str | None = None
    territory: Reference | None = None
    market: Reference | None = None
    default_contact: Reference | None = None
    site: Reference | None = None
    deleted_flag: bool | None = None
    date_acquired: datetime | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Site(CWModel):
    """``/company/companies/{id}/sites``."""

    id: int | None = None
    name: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state_reference: Reference | None = None
    zip: str | None = None
    country: Reference | None = None
    phone_number: str | None = None
    fax_number: str | None = None
    primary_address_flag: bool | None = None
    default_shipping_flag: bool | None = None
    default_billing_flag: bool | None = None
    default_mailing_flag: bool | None = None
    inactive_flag: bool | None = None
    company: Reference | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class CommunicationItem(CWModel):
    """A contact's phone number or e-mail address."""

    id: int | None = None
    type: Reference | None = None
    value: str | None = None
    extension: str | None = None
    default_flag: bool | None = None
    communication_type: str | None = None


class Contact(CWModel):
    """``/company/contacts``."""

    id: int | None = None
    first_name: str | None = None
    last_name: str | None = None
    company: Reference | None = None
    site: Reference | None = None
    title: str | None = None
    inactive_flag: bool | None = None
    default_flag: bool | None = None
    communication_items: list[CommunicationItem] | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")

    def communication(self, kind: str) -> str | None:
        """The default (else first) ``"Email"`` or ``"Phone"`` value among ``communication_items``."""
        items = [i for i in self.communication_items or () if (i.communication_type or "") == kind]
        chosen = next((i for i in items if i.default_flag), items[0] if items else None)
        return chosen.value if chosen is not None else None

    @property
    def email(self) -> str | None:
        """The default e-mail address, if any."""
        return self.communication("Email")

    @property
    def phone(self) -> str | None:
        """The default phone number, if any."""
        return self.communication("Phone")


class Configuration(CWModel):
    """``/company/configurations``."""

    id: int | None = None
    name: str | None = None
    type: Reference | None = None
    status: Reference | None = None
    company: Reference | None = None
    contact: Reference | None = None
    site: Reference | None = None
    serial_number: str | None = None
    model_number: str | None = None
    tag_number: str | None = None
    manufacturer: Reference | None = None
    ip_address: str | None = None
    mac_address: str | None = None
    os_type: str | None = None
    active_flag: bool | None = None
    notes: str | None = None
    warranty_expiration_date: datetime | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class CatalogItem(CWModel):
    """``/procurement/catalog``."""

    id: int | None = None
    identifier: str | None = None
    description: str | None = None
    customer_description: str | None = None
    inactive_flag: bool | None = None
    category: Reference | None = None
    subcategory: Reference | None = None
    type: Reference | None = None
    product_class: str | None = None
    manufacturer: Reference | None = None
    manufacturer_part_number: str | None = None
    vendor: Reference | None = None
    vendor_sku: str | None = None
    price: float | None = None
    cost: float | None = None
    taxable_flag: bool | None = None
    drop_ship_flag: bool | None = None
    special_order_flag: bool | None = None
    serialized_flag: bool | None = None
    recurring_flag: bool | None = None
    min_stock_level: float | None = None
    unit_of_measure: Reference | None = None
    notes: str | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Inventory(CWModel):
    """``/procurement/catalog/{id}/inventory``: stock of one item in one warehouse bin."""

    id: int | None = None
    catalog_item: Reference | None = None
    warehouse: Reference | None = None
    warehouse_bin: Reference | None = None
    on_hand: float | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Category(CWModel):
    """``/procurement/categories``."""

    id: int | None = None
    name: str | None = None
    inactive_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Subcategory(CWModel):
    """``/procurement/subcategories``."""

    id: int | None = None
    name: str | None = None
    category: Reference | None = None
    inactive_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Manufacturer(CWModel):
    """``/procurement/manufacturers``."""

    id: int | None = None
    name: str | None = None
    inactive_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Opportunity(CWModel):
    """``/sales/opportunities``."""

    id: int | None = None
    name: str | None = None
    expected_close_date: datetime | None = None
    type: Reference | None = None
    stage: Reference | None = None
    status: Reference | None = None
    priority: Reference | None = None
    notes: str | None = None
    # ConnectWise sends a reference; older sites and exports send the bare percentage.
    probability: Reference | float | None = None
    source: str | None = None
    rating: Reference | None = None
    campaign: Reference | None = None
    primary_sales_rep: Reference | None = None
    secondary_sales_rep: Reference | None = None
    location_id: int | None = None
    business_unit_id: int | None = None
    company: Reference | None = None
    contact: Reference | None = None
    site: Reference | None = None
    customer_po: str | None = msgspec.field(default=None, name="customerPO")
    pipeline_change_date: datetime | None = None
    date_became_lead: datetime | None = None
    closed_date: datetime | None = None
    closed_by: Reference | None = None
    closed_flag: bool | None = None
    total_sales_tax: float | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class OpportunityStatus(CWModel):
    """``/sales/opportunities/statuses``."""

    id: int | None = None
    name: str | None = None
    won_flag: bool | None = None
    lost_flag: bool | None = None
    closed_flag: bool | None = None
    inactive_flag: bool | None = None
    default_flag: bool | None = None
    entered_by: str | None = None
    date_entered: datetime | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class OpportunityType(CWModel):
    """``/sales/opportunities/types``."""

    id: int | None = None
    description: str | None = None
    inactive_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Stage(CWModel):
    """``/sales/stages``."""

    id: int | None = None
    name: str | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class ForecastItem(CWModel):
    """One line of an opportunity's forecast (``/sales/opportunities/{id}/forecast/{itemId}``)."""

    id: int | None = None
    forecast_description: str | None = None
    opportunity: Reference | None = None
    quantity: float | None = None
    status: Reference | None = None
    catalog_item: Reference | None = None
    product_description: str | None = None
    product_class: str | None = None
    forecast_type: str | None = None
    revenue: float | None = None
    cost: float | None = None
    margin: float | None = None
    percentage: float | None = None
    include_flag: bool | None = None
    link_flag: bool | None = None
    recurring_flag: bool | None = None
    taxable_flag: bool | None = None
    recurring_revenue: float | None = None
    recurring_cost: float | None = None
    cycles: float | None = None
    sequence_number: int | None = None
    sub_number: int | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class ForecastRevenue(CWModel):
    """One revenue total of a forecast (product, service, agreement, ...)."""

    id: int | None = None
    revenue: float | None = None
    cost: float | None = None
    margin: float | None = None
    percentage: float | None = None
    include_in_forecast: bool | None = None


# Some ConnectWise versions send a revenue total as a bare number, others as an object.
Revenue = ForecastRevenue | float | None


class Forecast(CWModel):
    """``/sales/opportunities/{id}/forecast``: the forecast lines plus ConnectWise's totals."""

    id: int | None = None
    forecast_items: list[ForecastItem] | None = None
    product_revenue: Revenue = None
    service_revenue: Revenue = None
    agreement_revenue: Revenue = None
    time_revenue: Revenue = None
    expense_revenue: Revenue = None
    forecast_revenue_totals: Revenue = None
    inclusive_revenue_totals: Revenue = None
    recurring_total: float | None = None
    won_revenue: Revenue = None
    lost_revenue: Revenue = None
    open_revenue: Revenue = None
    other_revenue1: Revenue = None
    other_revenue2: Revenue = None
    sales_tax_revenue: float | None = None
    forecast_total_with_taxes: float | None = None
    expected_probability: float | None = None
    tax_code: Reference | None = None
    billing_terms: Reference | None = None
    currency: dict[str, Any] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Note(CWModel):
    """``/sales/opportunities/{id}/notes``."""

    id: int | None = None
    opportunity_id: int | None = None
    text: str | None = None
    type: Reference | None = None
    flagged: bool | None = None
    entered_by: str | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class OpportunityContact(CWModel):
    """``/sales/opportunities/{id}/contacts``."""

    id: int | None = None
    contact: Reference | None = None
    company: Reference | None = None
    role: Reference | None = None
    notes: str | None = None
    referral_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Activity(CWModel):
    """``/sales/activities`` (``name`` and ``assign_to`` are required when creating)."""

    id: int | None = None
    name: str | None = None
    type: Reference | None = None
    status: Reference | None = None
    company: Reference | None = None
    contact: Reference | None = None
    phone_number: str | None = None
    email: str | None = None
    opportunity: Reference | None = None
    ticket: Reference | None = None
    agreement: Reference | None = None
    campaign: Reference | None = None
    assign_to: Reference | None = None
    schedule_status: Reference | None = None
    reminder: Reference | None = None
    where: Reference | None = None
    date_start: datetime | None = None
    date_end: datetime | None = None
    notes: str | None = None
    notify_flag: bool | None = None
    currency: dict[str, Any] | None = None
    mobile_guid: str | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class ProcurementProduct(CWModel):
    """``/procurement/products`` (``catalog_item`` and ``billable_option`` are required when creating)."""

    id: int | None = None
    catalog_item: Reference | None = None
    billable_option: str | None = None
    forecast_detail_id: int | None = None
    opportunity: Reference | None = None
    description: str | None = None
    customer_description: str | None = None
    quantity: float | None = None
    price: float | None = None
    cost: float | None = None
    taxable_flag: bool | None = None
    dropship_flag: bool | None = None
    special_order_flag: bool | None = None
    product_class: str | None = None
    cancelled_flag: bool | None = None
    quantity_cancelled: float | None = None
    cancelled_reason: str | None = None
    cancelled_by: int | None = None
    cancelled_date: datetime | None = None
    sequence_number: float | None = None
    custom_fields: list[CustomField] | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Callback(CWModel):
    """``/system/callbacks``: a registered callback (``type`` e.g. ``company``, ``level`` e.g. ``owner``)."""

    id: int | None = None
    description: str | None = None
    url: str | None = None
    object_id: int | None = None
    type: str | None = None
    level: str | None = None
    member_id: int | None = None
    payload_version: str | None = None
    inactive_flag: bool | None = None
    is_soap_callback_flag: bool | None = None
    is_self_suppressed_flag: bool | None = None
    info: Info | None = msgspec.field(default=None, name="_info")


class Count(msgspec.Struct):
    """The body of a ``/count`` endpoint."""

    count: int


class CallbackDelivery(msgspec.Struct, kw_only=True):
    """A callback ConnectWise POSTs to us; ``Entity`` is the record serialised as a JSON string."""

    id: int | None = msgspec.field(default=None, name="ID")
    action: str | None = msgspec.field(default=None, name="Action")
    type: str | None = msgspec.field(default=None, name="Type")
    member_id: str | int | None = msgspec.field(default=None, name="MemberId")
    entity: str | dict[str, Any] | None = msgspec.field(default=None, name="Entity")

    def entity_dict(self) -> dict[str, Any] | None:
        """``Entity`` decoded to a dict (it is usually a JSON string), or ``None`` if absent/undecodable."""
        if isinstance(self.entity, dict):
            return self.entity
        if not self.entity:
            return None
        try:
            decoded = msgspec.json.decode(self.entity)
        except msgspec.DecodeError:
            return None
        return decoded if isinstance(decoded, dict) else None


class PatchOp(msgspec.Struct, omit_defaults=True):
    """One JSON Patch operation; paths are ConnectWise field names, case-sensitive (``customerPO``).

    Replace whole reference objects (``PatchOp("replace", "company", {"id": 250})``), never
    ``company/id``. ``value`` left unset is omitted (for ``remove``); ``None`` is sent as ``null``.
    """

    op: str
    path: str
    value: Any = msgspec.UNSET


PATCH_OPS = frozenset({"add", "remove", "replace", "move", "copy", "test"})


def replace(fields: Mapping[str, Any] | None = None, /, **more: Any) -> list[PatchOp]:
    """``replace`` operations for each field: ``replace(name="X", site={"id": 5})``.

    Names are sent exactly as given (ConnectWise paths are case-sensitive camelCase); pass a mapping for
    names that are not Python identifiers. A name with ``/`` raises ``ValueError``: ConnectWise wants the
    whole reference object replaced (``company={"id": 250}``), not ``company/id``.
    """
    merged = {**(fields or {}), **more}
    if not merged:
        raise ValueError("replace() needs at least one field")
    ops = []
    for name, value in merged.items():
        if not isinstance(name, str) or not _PATCH_FIELD.fullmatch(name):
            raise ValueError(
                f"invalid patch field {name!r}: use a top-level field name; replace whole references "
                '(company={"id": 250}) instead of company/id'
            )
        ops.append(PatchOp("replace", name, value))
    return ops


_PATCH_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
