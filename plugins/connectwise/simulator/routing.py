"""Matching ``apis/3.0`` paths to collections: list, ``/count``, ``/search``, one record, forecasts."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .resources import SPECS, CollectionSpec

RouteKind = Literal["collection", "count", "search", "item", "forecast", "forecast_count", "forecast_item"]

#: The verbs each kind of route answers (write verbs only when the collection is writable).
METHODS: dict[RouteKind, tuple[str, ...]] = {
    "collection": ("GET", "POST"),
    "count": ("GET",),
    "search": ("POST",),
    "item": ("GET", "PUT", "PATCH", "DELETE"),
    "forecast": ("GET", "POST"),
    "forecast_count": ("GET",),
    "forecast_item": ("GET", "PUT", "PATCH", "DELETE"),
}


@dataclass(frozen=True)
class Route:
    """One path pattern of one collection."""

    spec: CollectionSpec
    kind: RouteKind
    pattern: re.Pattern[str]

    def allows(self, method: str) -> bool:
        """Whether ``method`` is answered here."""
        allowed = METHODS[self.kind]
        if not self.spec.writable:
            allowed = tuple(verb for verb in allowed if verb in ("GET",) or self.kind == "search")
        return method in allowed


@dataclass(frozen=True)
class RouteMatch:
    """A matched route with the ids taken from the path."""

    route: Route
    parent_id: int | None
    record_id: int | None


def _compile(template: str, suffix: str) -> re.Pattern[str]:
    body = re.escape(template).replace(re.escape("{parent}"), r"(?P<parent>\d+)")
    return re.compile(f"^{body}{suffix}/?$", re.IGNORECASE)


def _routes() -> list[Route]:
    routes: list[Route] = []
    for spec in SPECS.values():
        if spec.path is None:
            continue
        if spec.name == "forecast_items":
            routes.append(Route(spec, "forecast", _compile(spec.path, "")))
            routes.append(Route(spec, "forecast_count", _compile(spec.path, "/count")))
            routes.append(Route(spec, "forecast_item", _compile(spec.path, r"/(?P<id>\d+)")))
            continue
        routes.append(Route(spec, "collection", _compile(spec.path, "")))
        routes.append(Route(spec, "count", _compile(spec.path, "/count")))
        if spec.searchable:
            routes.append(Route(spec, "search", _compile(spec.path, "/search")))
        routes.append(Route(spec, "item", _compile(spec.path, r"/(?P<id>\d+)")))
    return routes


ROUTES: list[Route] = _routes()


def match(path: str) -> RouteMatch | None:
    """The route for an API-relative ``path`` such as ``/company/companies/250/sites``."""
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is not None:
            groups = found.groupdict()
            parent = groups.get("parent")
            record = groups.get("id")
            return RouteMatch(route, int(parent) if parent else None, int(record) if record else None)
    return None
