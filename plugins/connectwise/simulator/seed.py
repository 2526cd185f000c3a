"""Deterministic seeding: the same ``seed`` and ``scale`` always build the same site, in well under a second."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from . import seed_data as data
from .records import BASE_DATE, Record, compact, format_datetime, make_info
from .references import make_reference
from .resources import SPECS
from .rules import INFO_LINKS, finish_info
from .store import RecordStore

#: Catalog ids the Optima labor and special-order routes look for (kept out of the generated range).
LABOR_FIELD_ID = 3756
LABOR_TECH_ID = 3757
SPECIAL_ORDER_ID = 3758
_RESERVED_CATALOG_IDS = frozenset({LABOR_FIELD_ID, LABOR_TECH_ID, SPECIAL_ORDER_ID})

#: The API member and staff identifiers seeded records are entered and updated by.
SYSTEM_MEMBER = "Admin1"

#: Custom field ids the Optima platform relies on.
PROCUREMENT_NOTES_FIELD = 29
PRODUCT_NARRATIVE_FIELD = 46
OPTIMA_TYPE_FIELD = 45


@dataclass(frozen=True)
class SeedSizes:
    """How many of each main record to build."""

    members: int
    companies: int
    contacts: int
    configurations: int
    catalog: int
    opportunities: int
    tickets: int

    @classmethod
    def for_scale(cls, scale: float) -> SeedSizes:
        """Scale 1.0 ≈ 40 members, 150 companies, 600 contacts, 300 configurations, 800 catalog items,
        250 opportunities and 200 tickets; every count has a small floor so tiny scales stay usable."""
        if scale <= 0:
            raise ValueError("scale must be positive")

        def size(full: int, floor: int) -> int:
            return max(floor, round(full * scale))

        return cls(
            members=size(40, 8),
            companies=size(150, 12),
            contacts=size(600, 30),
            configurations=size(300, 10),
            catalog=size(800, 40),
            opportunities=size(250, 12),
            tickets=size(200, 8),
        )


def _copy_ref(reference: Record) -> Record:
    copied = dict(reference)
    if "_info" in copied:
        copied["_info"] = dict(copied["_info"])
    return copied


class Seeder:
    """Builds every collection of a :class:`RecordStore` from one ``random.Random(seed)``."""

    def __init__(self, store: RecordStore, seed: int, sizes: SeedSizes) -> None:
        self.store = store
        self.rng = random.Random(seed)
        self.sizes = sizes
        self._refs: dict[tuple[str, int], Record] = {}

    # helpers -----------------------------------------------------------------------------------------
    def ref(self, collection: str, record_id: int) -> Record:
        """A fresh copy of the reference to one stored record."""
        key = (collection, record_id)
        cached = self._refs.get(key)
        if cached is None:
            record = self.store.get(collection, record_id)
            if record is None:
                raise KeyError(key)
            cached = self._refs[key] = make_reference(self.store, collection, record)
        return _copy_ref(cached)

    def moment(self, days_back_max: float, days_back_min: float = 0.0) -> datetime:
        """A whole-second moment between ``days_back_max`` and ``days_back_min`` days before the base date."""
        seconds = self.rng.uniform(days_back_min * 86400, days_back_max * 86400)
        return BASE_DATE - timedelta(seconds=int(seconds))

    def info(self, by: str | None = None, *, max_age: float = 720.0) -> dict[str, Any]:
        """An ``_info`` block entered up to ``max_age`` days ago and updated since."""
        entered = self.moment(max_age, 1)
        age = (BASE_DATE - entered).total_seconds() / 86400
        updated = self.moment(age, 0)
        author = by or SYSTEM_MEMBER
        return make_info(entered, author, updated, self.rng.choice(self._staff) if self._staff else author)

    def put(self, collection: str, record: Record, parent_id: int | None = None) -> Record:
        """Store a compacted record (and its ``_info`` hrefs)."""
        record = compact(record)
        self.store.put(collection, record, parent_id)
        if collection in INFO_LINKS:
            finish_info(self.store, SPECS[collection], record)
        return record

    def phone(self, area: str = "270") -> str:
        """A ten-digit phone number in a fictional 555 exchange."""
        return f"{area}555{self.rng.randint(0, 9999):04d}"

    # build -------------------------------------------------------------------------------------------
    def build(self) -> None:
        """Populate every collection."""
        self._staff: list[str] = []
        self.lookups()
        self.members()
        self.companies()
        self.contacts()
        self.configurations()
        self.catalog()
        self.opportunities()
        self.tickets()

    def _lookup(self, collection: str, rows: Sequence[tuple[int, str, dict[str, Any]]]) -> None:
        for record_id, name, extra in rows:
            record: Record = {"id": record_id, "name": name, **extra}
            record["_info"] = make_info(BASE_DATE - timedelta(days=900), SYSTEM_MEMBER)
            self.put(collection, record)

    def lookups(self) -> None:
        """Statuses, types, boards, warehouses and the other small tables records point at."""
        for collection, rows in (
            ("company_statuses", data.COMPANY_STATUSES),
            ("company_types", data.COMPANY_TYPES),
            ("countries", data.COUNTRIES),
            ("territories", data.TERRITORIES),
            ("markets", data.MARKETS),
            ("time_zones", data.TIME_ZONES),
            ("configuration_types", data.CONFIGURATION_TYPES),
            ("configuration_statuses", data.CONFIGURATION_STATUSES),
            ("communication_types", data.COMMUNICATION_TYPES),
            ("opportunity_priorities", data.OPPORTUNITY_PRIORITIES),
            ("opportunity_probabilities", data.OPPORTUNITY_PROBABILITIES),
            ("opportunity_ratings", data.OPPORTUNITY_RATINGS),
            ("campaigns", data.CAMPAIGNS),
            ("note_types", data.NOTE_TYPES),
            ("contact_roles", data.CONTACT_ROLES),
            ("activity_types", data.ACTIVITY_TYPES),
            ("activity_statuses", data.ACTIVITY_STATUSES),
            ("boards", data.BOARDS),
            ("ticket_statuses", data.TICKET_STATUSES),
            ("ticket_priorities", data.TICKET_PRIORITIES),
            ("warehouses", data.WAREHOUSES),
            ("product_types", data.PRODUCT_TYPES),
            ("units_of_measure", data.UNITS_OF_MEASURE),
            ("stages", data.STAGES),
            ("categories", data.CATEGORIES),
            ("manufacturers", data.MANUFACTURERS),
        ):
            self._lookup(collection, rows)
        for record_id, name, extra in data.WAREHOUSE_BINS:
            self.put(
                "warehouse_bins",
                {
                    "id": record_id,
                    "name": name,
                    "warehouse": self.ref("warehouses", extra["warehouse"]),
                    "_info": make_info(BASE_DATE - timedelta(days=900), SYSTEM_MEMBER),
                },
            )
        entered = BASE_DATE - timedelta(days=800)
        for record_id, name, extra in data.OPPORTUNITY_STATUSES:
            record = {
                "id": record_id,
                "name": name,
                "wonFlag": extra.get("wonFlag", False),
                "lostFlag": extra.get("lostFlag", False),
                "closedFlag": extra.get("closedFlag", False),
                "inactiveFlag": False,
                "defaultFlag": extra.get("defaultFlag", False),
                "enteredBy": SYSTEM_MEMBER,
                "dateEntered": format_datetime(entered),
                "_info": make_info(entered, SYSTEM_MEMBER),
            }
            self.put("opportunity_statuses", record)
        for record_id, name, _ in data.OPPORTUNITY_TYPES:
            self.put(
                "opportunity_types",
                {
                    "id": record_id,
                    "description": name,
                    "inactiveFlag": False,
                    "_info": make_info(entered, SYSTEM_MEMBER),
                },
            )
        for record_id, name, category_id in data.SUBCATEGORIES:
            self.put(
                "subcategories",
                {
                    "id": record_id,
                    "name": name,
                    "category": self.ref("categories", category_id),
                    "inactiveFlag": False,
                    "_info": make_info(entered, SYSTEM_MEMBER),
                },
            )

    def members(self) -> None:
        """Staff: some inactive, two without a last name (as real sites have)."""
        rng = self.rng
        used: set[str] = set()
        count = self.sizes.members
        nameless = {count // 3, (2 * count) // 3}
        for index in range(count):
            record_id = 101 + index
            if index == 0:
                first, last = "John", "Roberts"
            else:
                first, last = rng.choice(data.FIRST_NAMES), rng.choice(data.LAST_NAMES)
            if index in nameless:
                first, last = rng.choice(("Dispatch", "Warehouse", "Reception", "Sales")), None
            base = (first[0] + (last or first)).lower().replace("'", "")[:12] if last else first.lower()
            identifier, suffix = base, 1
            while identifier in used:
                suffix += 1
                identifier = f"{base}{suffix}"
            used.add(identifier)
            inactive = index > 2 and rng.random() < 0.15
            email = f"{identifier}@optima.example"
            record = {
                "id": record_id,
                "identifier": identifier,
                "firstName": first,
                "lastName": last,
                "title": rng.choice(data.MEMBER_TITLES),
                "officeEmail": email,
                "officePhone": self.phone(),
                "defaultEmail": "Office",
                "primaryEmail": email,
                "inactiveFlag": inactive,
                "licenseClass": "F" if not inactive else "A",
                "timeZone": self.ref("time_zones", 1),
                "_info": make_info(self.moment(900, 400), SYSTEM_MEMBER, self.moment(300), SYSTEM_MEMBER),
            }
            if inactive:
                record["inactiveDate"] = format_datetime(self.moment(200, 10))
            self.put("members", record)
            if not inactive and last:
                self._staff.append(identifier)
        self._active_members = [member["id"] for member in self.store.records("members") if not member["inactiveFlag"]]

    def _address(self) -> dict[str, Any]:
        rng = self.rng
        city, state, zip_code = rng.choice(data.PLACES)
        address: dict[str, Any] = {
            "addressLine1": f"{rng.randint(100, 9899)} {rng.choice(data.STREETS)}",
            "city": city,
            "state": state,
            "zip": zip_code,
            "country": self.ref("countries", 1),
        }
        if rng.random() < 0.2:
            address["addressLine2"] = rng.choice(("Suite 100", "Suite 210", "Unit B", "Floor 2"))
        return address

    def companies(self) -> None:
        """The owner company, vendors, then clients and prospects, each with one to three sites."""
        rng = self.rng
        rows: list[tuple[str, str, int]] = [("Optima", "Optima Technologies", 4)]
        rows += [(identifier, name, 3) for identifier, name in data.VENDORS]
        used = {identifier.lower() for identifier, _, _ in rows}
        rows.append(("AcmeCorp", "Acme Corp", 1))
        used.add("acmecorp")
        while len(rows) < self.sizes.companies:
            name = f"{rng.choice(data.COMPANY_FIRST)} {rng.choice(data.COMPANY_SECOND)}"
            identifier = "".join(ch for ch in name.title() if ch.isalnum())[:22]
            suffix = 1
            base = identifier
            while identifier.lower() in used:
                suffix += 1
                identifier = f"{base}{suffix}"
                name = f"{name.rsplit(' #', 1)[0]} #{suffix}"
            used.add(identifier.lower())
            rows.append((identifier, name, 1 if rng.random() < 0.8 else 2))
        rows = rows[: self.sizes.companies]
        site_id = 1
        self._clients: list[int] = []
        for index, (identifier, name, type_id) in enumerate(rows):
            record_id = 250 + index
            address = self._address()
            status_id = 1 if rng.random() < 0.9 or type_id != 1 else rng.choice((2, 3))
            record: Record = {
                "id": record_id,
                "identifier": identifier,
                "name": name,
                "status": self.ref("company_statuses", status_id),
                "types": [self.ref("company_types", type_id)],
                **address,
                "phoneNumber": self.phone(),
                "faxNumber": self.phone() if rng.random() < 0.3 else None,
                "website": f"www.{identifier.lower()}.example",
                "territory": self.ref("territories", rng.randint(1, 3)),
                "market": self.ref("markets", rng.randint(1, 5)),
                "dateAcquired": format_datetime(self.moment(1500, 30).replace(hour=0, minute=0, second=0)),
                "timeZoneSetup": self.ref("time_zones", 1),
                "leadFlag": type_id == 2,
                "unsubscribeFlag": False,
                "isVendorFlag": type_id == 3,
                "deletedFlag": False,
                "annualRevenue": round(rng.uniform(2e5, 2e7), -3),
                "numberOfEmployees": rng.randint(3, 400),
                "customFields": [],
                "_info": self.info(),
            }
            record = self.put("companies", record)
            company_ref = self.ref("companies", record_id)
            for site_index in range(1 if type_id in (3, 4) else rng.choice((1, 1, 2, 3))):
                main = site_index == 0
                site_address = address if main else self._address()
                site = {
                    "id": site_id,
                    "name": "Main" if main else data.SITE_NAMES[(site_index + record_id) % len(data.SITE_NAMES)],
                    **{key: value for key, value in site_address.items()},
                    "phoneNumber": record["phoneNumber"] if main else self.phone(),
                    "faxNumber": record.get("faxNumber") if main else None,
                    "primaryAddressFlag": main,
                    "defaultShippingFlag": main,
                    "defaultBillingFlag": main,
                    "defaultMailingFlag": main,
                    "inactiveFlag": False,
                    "company": _copy_ref(company_ref),
                    "_info": self.info(),
                }
                self.put("sites", site, record_id)
                if main:
                    record["site"] = self.ref("sites", site_id)
                site_id += 1
            if type_id in (1, 2):
                self._clients.append(record_id)

    def contacts(self) -> None:
        """People at client companies; each company's first contact becomes its default contact."""
        rng = self.rng
        self._contacts_by_company: dict[int, list[int]] = {}
        companies = [cid for cid in self._clients] or [250]
        for index in range(self.sizes.contacts):
            record_id = 1000 + index
            company_id = companies[index] if index < len(companies) else rng.choice(companies)
            company = self.store.get("companies", company_id) or {}
            first = rng.choice(data.FIRST_NAMES)
            last = None if rng.random() < 0.01 else rng.choice(data.LAST_NAMES)
            domain = company.get("website", "www.example.com").removeprefix("www.")
            local = f"{first}.{last}".lower().replace("'", "") if last else first.lower()
            items = [
                {
                    "id": 1,
                    "type": self.ref("communication_types", 1),
                    "value": f"{local}@{domain}",
                    "defaultFlag": True,
                    "communicationType": "Email",
                },
                {
                    "id": 2,
                    "type": self.ref("communication_types", 2),
                    "value": self.phone(),
                    "extension": str(rng.randint(100, 399)) if rng.random() < 0.2 else None,
                    "defaultFlag": True,
                    "communicationType": "Phone",
                },
            ]
            if rng.random() < 0.4:
                items.append(
                    {
                        "id": 3,
                        "type": self.ref("communication_types", 4),
                        "value": self.phone(),
                        "defaultFlag": False,
                        "communicationType": "Phone",
                    }
                )
            first_of_company = company_id not in self._contacts_by_company
            record = {
                "id": record_id,
                "firstName": first,
                "lastName": last,
                "company": self.ref("companies", company_id),
                "site": _copy_ref(company["site"]) if company.get("site") else None,
                "title": rng.choice(data.CONTACT_TITLES),
                "inactiveFlag": (not first_of_company) and rng.random() < 0.08,
                "defaultFlag": first_of_company,
                "marriedFlag": False,
                "childrenFlag": False,
                "unsubscribeFlag": False,
                "communicationItems": compact(items),
                "types": [],
                "customFields": [],
                "_info": self.info(),
            }
            self.put("contacts", record)
            self._contacts_by_company.setdefault(company_id, []).append(record_id)
            if first_of_company:
                company["defaultContact"] = self.ref("contacts", record_id)

    def configurations(self) -> None:
        """Devices at client companies."""
        rng = self.rng
        makers = {1: 85, 2: 248, 3: 248, 4: 45, 5: 45, 6: 90, 7: 35, 8: 95, 9: 70}
        for index in range(self.sizes.configurations):
            record_id = 2000 + index
            company_id = rng.choice(self._clients or [250])
            company = self.store.get("companies", company_id) or {}
            type_id = rng.randint(1, 9)
            type_name = dict((row[0], row[1]) for row in data.CONFIGURATION_TYPES)[type_id]
            installed = self.moment(1400, 20).replace(hour=0, minute=0, second=0)
            contacts = self._contacts_by_company.get(company_id, [])
            prefix = str(company.get("identifier", "CO"))[:8].upper()
            record = {
                "id": record_id,
                "name": f"{prefix}-{type_name.replace(' ', '')[:4].upper()}{index % 97:02d}",
                "type": self.ref("configuration_types", type_id),
                "status": self.ref("configuration_statuses", 1 if rng.random() < 0.9 else 2),
                "company": self.ref("companies", company_id),
                "contact": self.ref("contacts", rng.choice(contacts)) if contacts and rng.random() < 0.5 else None,
                "site": _copy_ref(company["site"]) if company.get("site") else None,
                "serialNumber": f"SN{rng.randint(10**9, 10**10 - 1)}",
                "modelNumber": f"M{rng.randint(100, 999)}",
                "tagNumber": f"TAG-{record_id}",
                "manufacturer": self.ref("manufacturers", makers[type_id]),
                "ipAddress": f"10.{rng.randint(0, 40)}.{rng.randint(0, 254)}.{rng.randint(2, 254)}",
                "macAddress": ":".join(f"{rng.randint(0, 255):02X}" for _ in range(6)),
                "installationDate": format_datetime(installed),
                "warrantyExpirationDate": format_datetime(installed + timedelta(days=365 * 3)),
                "activeFlag": True,
                "notes": "Installed by Optima" if rng.random() < 0.3 else None,
                "_info": self.info(),
            }
            self.put("configurations", record)

    def catalog(self) -> None:
        """Hardware, licences, cable and the labor / SPECIAL ORDER items, with warehouse inventory."""
        rng = self.rng
        vendors = [cid for cid in range(251, 251 + len(data.VENDORS)) if self.store.get("companies", cid)]
        specials = (
            (LABOR_FIELD_ID, "Labor & Installation - Field", "Service", 100.0, 50.0, 2, 2),
            (LABOR_TECH_ID, "Labor & Installation - Tech", "Service", 125.0, 62.5, 2, 2),
            (SPECIAL_ORDER_ID, "SPECIAL ORDER", "NonInventory", 0.0, 0.0, 5, 1),
        )
        for record_id, identifier, product_class, price, cost, type_id, unit_id in specials:
            self.put(
                "catalog",
                {
                    "id": record_id,
                    "identifier": identifier,
                    "description": identifier,
                    "customerDescription": identifier,
                    "inactiveFlag": False,
                    "subcategory": self.ref("subcategories", 160 if product_class == "Service" else 161),
                    "category": self.ref("categories", 20),
                    "type": self.ref("product_types", type_id),
                    "productClass": product_class,
                    "unitOfMeasure": self.ref("units_of_measure", unit_id),
                    "price": price,
                    "cost": cost,
                    "taxableFlag": True,
                    "dropShipFlag": False,
                    "specialOrderFlag": identifier == "SPECIAL ORDER",
                    "serializedFlag": False,
                    "recurringFlag": False,
                    "_info": self.info(max_age=1000),
                },
            )
        subcategory_category = {row[0]: row[2] for row in data.SUBCATEGORIES}
        used: set[str] = set()
        record_id = 3000
        inventory_id = 1
        for _ in range(self.sizes.catalog):
            while record_id in _RESERVED_CATALOG_IDS:
                record_id += 1
            maker, subcategory, product_class, type_id, unit_id, (low, high), models = rng.choice(data.CATALOG_FAMILIES)
            model = rng.choice(models)
            identifier = model.upper().replace(" ", "-")
            base = identifier
            suffix = 1
            while identifier in used:
                suffix += 1
                identifier = f"{base}-{suffix:02d}"
            used.add(identifier)
            maker_name = next(row[1] for row in data.MANUFACTURERS if row[0] == maker)
            price = round(rng.uniform(low, high), 2)
            cost = round(price * rng.uniform(0.55, 0.8), 2)
            description = f"{maker_name} {model}" + (f" (rev {suffix})" if suffix > 1 else "")
            record = {
                "id": record_id,
                "identifier": identifier,
                "description": description[:60],
                "customerDescription": f"{maker_name} {model}",
                "inactiveFlag": rng.random() < 0.06,
                "subcategory": self.ref("subcategories", subcategory),
                "category": self.ref("categories", subcategory_category[subcategory]),
                "type": self.ref("product_types", type_id),
                "productClass": product_class,
                "unitOfMeasure": self.ref("units_of_measure", unit_id),
                "manufacturer": self.ref("manufacturers", maker),
                "manufacturerPartNumber": f"{base}-{rng.randint(100, 999)}",
                "vendor": self.ref("companies", rng.choice(vendors)) if vendors else None,
                "vendorSku": f"{maker_name[:3].upper()}-{rng.randint(10000, 99999)}",
                "price": price,
                "cost": cost,
                "taxableFlag": product_class != "NonInventory" or rng.random() < 0.5,
                "dropShipFlag": rng.random() < 0.1,
                "specialOrderFlag": False,
                "serializedFlag": type_id == 1 and rng.random() < 0.5,
                "recurringFlag": type_id == 3,
                "minStockLevel": rng.choice((0, 0, 2, 5)),
                "_info": self.info(max_age=1000),
            }
            self.put("catalog", record)
            if product_class == "Inventory":
                for bin_id in rng.sample((1, 2, 3, 4), rng.choice((1, 1, 2))):
                    bin_record = self.store.get("warehouse_bins", bin_id) or {}
                    on_hand = 0 if rng.random() < 0.3 else rng.randint(1, 40)
                    self.put(
                        "inventory",
                        {
                            "id": inventory_id,
                            "catalogItem": self.ref("catalog", record_id),
                            "warehouse": _copy_ref(bin_record["warehouse"]),
                            "warehouseBin": self.ref("warehouse_bins", bin_id),
                            "onHand": on_hand,
                            "_info": self.info(max_age=60),
                        },
                        record_id,
                    )
                    inventory_id += 1
            record_id += 1
        self._sellable = [
            item["id"]
            for item in self.store.records("catalog")
            if not item["inactiveFlag"] and item["id"] not in _RESERVED_CATALOG_IDS
        ]

    def opportunities(self) -> None:
        """Opportunities with forecast items, linked procurement products, notes, contacts and activities."""
        rng = self.rng
        statuses, weights = zip(*data.OPEN_STATUS_WEIGHTS, strict=True)
        forecast_id, product_id, note_id, opp_contact_id, activity_id = 31000, 88000, 1, 1, 700
        companies = [cid for cid in self._clients if cid in self._contacts_by_company] or [250]
        for index in range(self.sizes.opportunities):
            record_id = 5000 + index
            company_id = companies[index % len(companies)] if index < len(companies) else rng.choice(companies)
            company = self.store.get("companies", company_id) or {}
            contacts = self._contacts_by_company.get(company_id, [])
            roll = rng.random()
            status_id = (
                29 if roll < 0.15 else 53 if roll < 0.25 else 59 if roll < 0.28 else rng.choices(statuses, weights)[0]
            )
            status = self.store.get("opportunity_statuses", status_id) or {}
            closed = bool(status.get("closedFlag"))
            lead = self.moment(400, 20).replace(hour=0, minute=0, second=0)
            expected = (BASE_DATE + timedelta(days=rng.randint(-60, 120))).replace(hour=0, minute=0, second=0)
            info = self.info(max_age=(BASE_DATE - lead).days or 1)
            rep = rng.choice(self._active_members)
            record = {
                "id": record_id,
                "name": f"{company.get('name', 'Client')} {rng.choice(data.OPPORTUNITY_TOPICS)}"[:100],
                "expectedCloseDate": format_datetime(expected),
                "type": self.ref("opportunity_types", rng.randint(1, 5)),
                "stage": self.ref("stages", 5 if rng.random() < 0.6 else rng.randint(1, 4)),
                "status": self.ref("opportunity_statuses", status_id),
                "priority": self.ref("opportunity_priorities", rng.randint(1, 4)),
                "notes": rng.choice(data.NOTE_TEXTS) if rng.random() < 0.7 else None,
                "probability": self.ref("opportunity_probabilities", rng.randint(1, 5)),
                "source": rng.choice(data.SOURCES),
                "rating": self.ref("opportunity_ratings", rng.randint(1, 3)),
                "campaign": self.ref("campaigns", rng.choice((5, 6, 7))) if rng.random() < 0.2 else None,
                "primarySalesRep": self.ref("members", rep),
                "secondarySalesRep": self.ref("members", rng.choice(self._active_members))
                if rng.random() < 0.25
                else None,
                "locationId": 1,
                "businessUnitId": 5,
                "company": self.ref("companies", company_id),
                "contact": self.ref("contacts", contacts[0]) if contacts else None,
                "site": _copy_ref(company["site"]) if company.get("site") else None,
                "customerPO": f"PO-{rng.randint(10000, 99999)}" if rng.random() < 0.3 else None,
                "pipelineChangeDate": format_datetime(self.moment((BASE_DATE - lead).days or 1)),
                "dateBecameLead": format_datetime(lead),
                "closedDate": format_datetime(self.moment(30)) if closed else None,
                "closedBy": self.ref("members", rep) if closed else None,
                "closedFlag": closed,
                "totalSalesTax": 0,
                "customFields": [],
                "_info": info,
            }
            self.put("opportunities", record)
            opportunity_ref = self.ref("opportunities", record_id)
            for sequence in range(1, rng.randint(1, 5) + 1):
                labor = rng.random() < 0.2
                catalog_id = rng.choice((LABOR_FIELD_ID, LABOR_TECH_ID)) if labor else rng.choice(self._sellable)
                item = self.store.get("catalog", catalog_id) or {}
                quantity = rng.randint(1, 8) if labor else rng.randint(1, 12)
                product_class = item.get("productClass", "NonInventory")
                forecast_type = "Service" if product_class == "Service" else "Product"
                revenue = round(item.get("price", 0) * quantity, 2)
                cost = round(item.get("cost", 0) * quantity, 2)
                forecast_info = self.info(max_age=max(1, (BASE_DATE - lead).days))
                forecast = {
                    "id": forecast_id,
                    "forecastDescription": forecast_type,
                    "opportunity": _copy_ref(opportunity_ref),
                    "quantity": quantity,
                    "status": self.ref("opportunity_statuses", status_id),
                    "catalogItem": self.ref("catalog", catalog_id),
                    "productDescription": item.get("description"),
                    "productClass": product_class,
                    "forecastType": forecast_type,
                    "revenue": revenue,
                    "cost": cost,
                    "margin": round(revenue - cost, 2),
                    "percentage": round((revenue - cost) / revenue * 100, 2) if revenue else 0,
                    "includeFlag": True,
                    "linkFlag": True,
                    "recurringFlag": False,
                    "taxableFlag": item.get("taxableFlag", True),
                    "recurringRevenue": 0.0,
                    "recurringCost": 0.0,
                    "cycles": 0,
                    "sequenceNumber": sequence,
                    "subNumber": 0,
                    "_info": forecast_info,
                }
                self.put("forecast_items", forecast, record_id)
                if rng.random() < 0.85:
                    cancelled = rng.random() < 0.06
                    quantity_cancelled = rng.randint(1, quantity) if cancelled else 0
                    custom_fields = []
                    if rng.random() < 0.3:
                        custom_fields.append(
                            {
                                "id": PROCUREMENT_NOTES_FIELD,
                                "caption": "Procurement Notes",
                                "type": "Text",
                                "entryMethod": "EntryField",
                                "numberOfDecimals": 0,
                                "value": "Coordinate delivery with site contact",
                            }
                        )
                    if rng.random() < 0.3:
                        custom_fields.append(
                            {
                                "id": PRODUCT_NARRATIVE_FIELD,
                                "caption": "Product Narrative",
                                "type": "Text",
                                "entryMethod": "EntryField",
                                "numberOfDecimals": 0,
                                "value": "Install, configure and test",
                            }
                        )
                    product = {
                        "id": product_id,
                        "catalogItem": self.ref("catalog", catalog_id),
                        "forecastDetailId": forecast_id,
                        "opportunity": _copy_ref(opportunity_ref),
                        "description": item.get("description"),
                        "customerDescription": item.get("customerDescription"),
                        "quantity": quantity,
                        "price": item.get("price", 0),
                        "cost": item.get("cost", 0),
                        "billableOption": "Billable",
                        "productClass": product_class,
                        "taxableFlag": item.get("taxableFlag", True),
                        "dropshipFlag": False,
                        "specialOrderFlag": False,
                        "cancelledFlag": cancelled,
                        "quantityCancelled": quantity_cancelled,
                        "cancelledReason": "Out of stock" if cancelled else None,
                        "cancelledBy": self.ref("members", rep) if cancelled else None,
                        "cancelledDate": format_datetime(self.moment(20)) if cancelled else None,
                        "sequenceNumber": sequence,
                        "customFields": custom_fields,
                        "_info": dict(forecast_info),
                    }
                    self.put("products", product)
                    product_id += 1
                forecast_id += 1
            for _ in range(rng.choice((0, 1, 1, 2, 3))):
                author = rng.choice(self._staff) if self._staff else SYSTEM_MEMBER
                self.put(
                    "opportunity_notes",
                    {
                        "id": note_id,
                        "opportunityId": record_id,
                        "text": rng.choice(data.NOTE_TEXTS),
                        "type": self.ref("note_types", rng.randint(1, 3)),
                        "flagged": rng.random() < 0.1,
                        "enteredBy": author,
                        "_info": self.info(author, max_age=max(1, (BASE_DATE - lead).days)),
                    },
                    record_id,
                )
                note_id += 1
            for contact_id in contacts[1 : 1 + rng.choice((0, 0, 1, 2))]:
                self.put(
                    "opportunity_contacts",
                    {
                        "id": opp_contact_id,
                        "contact": self.ref("contacts", contact_id),
                        "company": self.ref("companies", company_id),
                        "role": self.ref("contact_roles", rng.randint(1, 4)),
                        "notes": "Primary point of contact for this deal" if rng.random() < 0.3 else None,
                        "referralFlag": rng.random() < 0.1,
                        "_info": self.info(max_age=max(1, (BASE_DATE - lead).days)),
                    },
                    record_id,
                )
                opp_contact_id += 1
            contact_record = self.store.get("contacts", contacts[0]) if contacts else None
            for _ in range(rng.choice((0, 1, 2, 3))):
                start = self.moment(60, -30).replace(minute=0, second=0)
                closed_activity = start < BASE_DATE and rng.random() < 0.6
                items = (contact_record or {}).get("communicationItems", [])
                custom = []
                if rng.random() < 0.5:
                    custom.append(
                        {
                            "id": OPTIMA_TYPE_FIELD,
                            "caption": "Optima_Type",
                            "type": "Text",
                            "entryMethod": "List",
                            "numberOfDecimals": 0,
                            "value": rng.choice(data.OPTIMA_TYPES),
                        }
                    )
                self.put(
                    "activities",
                    {
                        "id": activity_id,
                        "name": rng.choice(data.ACTIVITY_NAMES),
                        "type": self.ref("activity_types", rng.randint(1, 5)),
                        "company": self.ref("companies", company_id),
                        "contact": self.ref("contacts", contacts[0]) if contacts else None,
                        "phoneNumber": next((i["value"] for i in items if i["communicationType"] == "Phone"), None),
                        "email": next((i["value"] for i in items if i["communicationType"] == "Email"), None),
                        "status": self.ref("activity_statuses", 2 if closed_activity else 1),
                        "opportunity": _copy_ref(opportunity_ref),
                        "notes": "Discuss proposal details" if rng.random() < 0.5 else None,
                        "dateStart": format_datetime(start),
                        "dateEnd": format_datetime(start + timedelta(minutes=rng.choice((15, 30, 60)))),
                        "assignedBy": self.ref("members", rep),
                        "assignTo": self.ref("members", rng.choice(self._active_members)),
                        "notifyFlag": False,
                        "customFields": custom,
                        "_info": self.info(max_age=max(1, (BASE_DATE - lead).days)),
                    },
                )
                activity_id += 1

    def tickets(self) -> None:
        """Service tickets, so ``ticket`` callbacks have records to describe."""
        rng = self.rng
        companies = self._clients or [250]
        for index in range(self.sizes.tickets):
            record_id = 36000 + index
            company_id = rng.choice(companies)
            company = self.store.get("companies", company_id) or {}
            contacts = self._contacts_by_company.get(company_id, [])
            status_id = rng.randint(1, 6)
            self.put(
                "tickets",
                {
                    "id": record_id,
                    "summary": rng.choice(data.TICKET_SUMMARIES),
                    "recordType": "ServiceTicket",
                    "board": self.ref("boards", rng.randint(1, 3)),
                    "status": self.ref("ticket_statuses", status_id),
                    "company": self.ref("companies", company_id),
                    "site": _copy_ref(company["site"]) if company.get("site") else None,
                    "contact": self.ref("contacts", rng.choice(contacts)) if contacts else None,
                    "priority": self.ref("ticket_priorities", rng.randint(1, 4)),
                    "owner": self.ref("members", rng.choice(self._active_members)),
                    "closedFlag": status_id >= 5,
                    "_info": self.info(max_age=120),
                },
            )


def seed_store(store: RecordStore, seed: int = 1, scale: float = 1.0) -> SeedSizes:
    """Fill ``store`` deterministically from ``seed`` at ``scale``; returns the sizes used."""
    sizes = SeedSizes.for_scale(scale)
    Seeder(store, seed, sizes).build()
    return sizes


__all__ = ["LABOR_FIELD_ID", "LABOR_TECH_ID", "SPECIAL_ORDER_ID", "SeedSizes", "seed_store"]
