"""The ``apis/3.0`` endpoints: list, count, search, get, create, replace, patch, delete and forecasts."""

from __future__ import annotations

from typing import Any

from .errors import ConnectWiseError, field_error
from .http import Request, Response, json_response
from .listing import ListQuery, filter_records, paginate, parse_fields, parse_order_by, project, sort_records
from .operations import Operations
from .paging import PageRequest
from .patch import apply_patch
from .records import Record, format_datetime
from .resources import SPECS, CollectionSpec
from .routing import RouteMatch
from .rules import known_fields
from .store import RecordStore

_FORECAST_BUCKETS = (
    ("productRevenue", "Product"),
    ("serviceRevenue", "Service"),
    ("agreementRevenue", "Agreement"),
    ("timeRevenue", "Time"),
    ("expenseRevenue", "Expense"),
)


class ApiHandlers:
    """Answers matched API routes for one authenticated API member."""

    def __init__(self, store: RecordStore, operations: Operations, member: str) -> None:
        self.store = store
        self.operations = operations
        self.member = member

    async def handle(self, request: Request, found: RouteMatch, api_base: str) -> Response:
        """Dispatch on route kind and verb."""
        route = found.route
        spec = route.spec
        method = request.method
        kind = route.kind
        if kind in ("collection", "count", "search"):
            self.operations.require_parent(spec, found.parent_id)
        if kind == "collection" and method == "GET":
            return self.list(request, spec, found.parent_id, api_base, None)
        if kind == "search":
            body = request.json(spec.resource) if request.body.strip() else {}
            if not isinstance(body, dict):
                raise _bad_body(spec)
            return self.list(request, spec, found.parent_id, api_base, body)
        if kind in ("count", "forecast_count"):
            self.operations.require_parent(spec, found.parent_id)
            return self.count(request, spec, found.parent_id)
        if kind in ("collection", "forecast") and method == "POST":
            outcome = self.operations.create(spec, request.json(spec.resource), self.member, found.parent_id)
            return json_response(201, outcome.record, api_base)
        if kind == "forecast":
            return self.forecast(found.parent_id or 0, api_base)
        record_id = found.record_id or 0
        if method == "GET":
            record = self.operations.existing(spec, record_id, found.parent_id)
            return json_response(200, project(record, parse_fields(request.param("fields"))), api_base)
        if method == "PUT":
            outcome = self.operations.update(spec, record_id, request.json(spec.resource), self.member, found.parent_id)
            return json_response(200, outcome.record, api_base)
        if method == "PATCH":
            existing = self.operations.existing(spec, record_id, found.parent_id)
            patched = apply_patch(existing, request.json(spec.resource), spec, known_fields(self.store, spec))
            outcome = self.operations.update(spec, record_id, patched, self.member, found.parent_id)
            return json_response(200, outcome.record, api_base)
        self.operations.delete(spec, record_id, self.member, found.parent_id)
        return Response(204)

    def _query(self, request: Request, body: dict[str, Any] | None) -> tuple[ListQuery, dict[str, str | None]]:
        def pick(name: str) -> str | None:
            if body is not None:
                for key, value in body.items():
                    if key.lower() == name.lower() and value is not None:
                        return str(value)
            return request.param(name)

        query = ListQuery(
            conditions=pick("conditions"),
            child_conditions=pick("childConditions"),
            custom_field_conditions=pick("customFieldConditions"),
            order_by=pick("orderBy"),
            fields=pick("fields"),
        )
        return query, {"page": pick("page"), "pageSize": pick("pageSize"), "pageId": pick("pageId")}

    def list(
        self, request: Request, spec: CollectionSpec, parent_id: int | None, api_base: str, body: dict[str, Any] | None
    ) -> Response:
        """A page of records with its ``Link`` header."""
        query, paging = self._query(request, body)
        forward_only = request.headers.get("pagination-type", "").strip().lower() == "forward-only"
        if forward_only and query.order_by:
            message = "orderBy is not supported with forward-only pagination."
            raise ConnectWiseError(
                400, "InvalidObject", message, [field_error("InvalidObject", message, spec.resource, "orderBy")]
            )
        page_request = PageRequest.parse(paging["page"], paging["pageSize"], paging["pageId"], forward_only)
        schema = self.store.schema(spec.name)
        order = parse_order_by(query.order_by, schema, spec.resource)
        tree = parse_fields(query.fields)
        with self.store.lock:
            records = self.store.records(spec.name, parent_id)
            selected = sort_records(filter_records(records, query, schema, spec), order)
            page = paginate(selected, page_request, request.url, request.query)
            body_data = [project(record, tree) for record in page.records]
            response = json_response(200, body_data, api_base)
        if page.link:
            response.header("Link", page.link)
        return response

    def count(self, request: Request, spec: CollectionSpec, parent_id: int | None) -> Response:
        """``{"count": N}`` honouring the conditions."""
        query, _ = self._query(request, None)
        with self.store.lock:
            records = self.store.records(spec.name, parent_id)
            total = len(filter_records(records, query, self.store.schema(spec.name), spec))
        return json_response(200, {"count": total})

    def forecast(self, opportunity_id: int, api_base: str) -> Response:
        """The opportunity's Forecast: its items and revenue totals per forecast type."""
        self.operations.require_parent(SPECS["forecast_items"], opportunity_id)
        items = self.store.records("forecast_items", opportunity_id)
        forecast: Record = {"id": opportunity_id, "forecastItems": items}
        for key, forecast_type in _FORECAST_BUCKETS:
            forecast[key] = _totals([item for item in items if item.get("forecastType") == forecast_type])
        forecast["forecastRevenueTotals"] = _totals(items)
        forecast["inclusiveRevenueTotals"] = _totals([item for item in items if item.get("includeFlag")])
        forecast["recurringTotal"] = round(sum(float(item.get("recurringRevenue", 0)) for item in items), 2)
        statuses = {status["id"]: status for status in self.store.records("opportunity_statuses")}

        def revenue(flag: str | None) -> float:
            total = 0.0
            for item in items:
                status = statuses.get((item.get("status") or {}).get("id"), {})
                won, lost = bool(status.get("wonFlag")), bool(status.get("lostFlag"))
                if (
                    (flag == "wonFlag" and won)
                    or (flag == "lostFlag" and lost)
                    or (flag is None and not won and not lost)
                ):
                    total += float(item.get("revenue", 0))
            return round(total, 2)

        forecast["wonRevenue"] = revenue("wonFlag")
        forecast["lostRevenue"] = revenue("lostFlag")
        forecast["openRevenue"] = revenue(None)
        forecast["otherRevenue1"] = _totals([])
        forecast["otherRevenue2"] = _totals([])
        forecast["salesTaxRevenue"] = 0.0
        forecast["forecastTotalWithTaxes"] = forecast["forecastRevenueTotals"]["revenue"]
        forecast["expectedProbability"] = 0
        latest = max((item.get("_info", {}).get("lastUpdated", "") for item in items), default="")
        forecast["_info"] = {"lastUpdated": latest or format_datetime(self.store.now()), "updatedBy": self.member}
        return json_response(200, forecast, api_base)


def _totals(items: list[Record]) -> Record:
    revenue = round(sum(float(item.get("revenue", 0)) for item in items), 2)
    cost = round(sum(float(item.get("cost", 0)) for item in items), 2)
    margin = round(revenue - cost, 2)
    return {
        "id": 0,
        "revenue": revenue,
        "cost": cost,
        "margin": margin,
        "percentage": round(margin / revenue * 100, 2) if revenue else 0,
        "includeInForecast": True,
    }


def _bad_body(spec: CollectionSpec) -> ConnectWiseError:
    message = 'The search body must be a JSON object such as {"conditions": "..."}.'
    return ConnectWiseError(400, "InvalidObject", message, [field_error("InvalidObject", message, spec.resource, "")])
