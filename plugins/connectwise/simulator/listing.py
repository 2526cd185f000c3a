"""Selecting records for a list: conditions, childConditions, customFieldConditions, orderBy, fields, paging."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .conditions import ConditionError, compile_conditions
from .errors import ConnectWiseError, field_error
from .paging import PageRequest, forward_link, navigable_links
from .records import Record, parse_datetime
from .resources import CollectionSpec
from .schema import FieldSchema, Path, resolve, split_path


@dataclass(frozen=True)
class ListQuery:
    """The query parameters (or ``/search`` body) of a list or count request."""

    conditions: str | None = None
    child_conditions: str | None = None
    custom_field_conditions: str | None = None
    order_by: str | None = None
    fields: str | None = None


@dataclass
class ListPage:
    """One page of results and its ``Link`` header (``None`` when there is none to send)."""

    records: list[Record]
    link: str | None


def _bad(parameter: str, resource: str, message: str) -> ConnectWiseError:
    return ConnectWiseError(400, "InvalidObject", message, [field_error("InvalidObject", message, resource, parameter)])


def _compile(
    text: str | None, parameter: str, schema: FieldSchema, resource: str, child: bool
) -> Callable[[Any], bool] | None:
    if text is None or not text.strip():
        return None
    try:
        return compile_conditions(text, schema, child=child)
    except ConditionError as error:
        raise _bad(parameter, resource, f"Invalid {parameter}: {error}") from None


def filter_records(
    records: Sequence[Record], query: ListQuery, schema: FieldSchema, spec: CollectionSpec
) -> list[Record]:
    """``records`` matching ``conditions``, ``childConditions`` and ``customFieldConditions``."""
    predicates = [
        predicate
        for predicate in (
            _compile(query.conditions, "conditions", schema, spec.resource, False),
            _compile(query.child_conditions, "childConditions", schema, spec.resource, True),
        )
        if predicate is not None
    ]
    custom = None
    if query.custom_field_conditions and query.custom_field_conditions.strip():
        custom_schema = FieldSchema.learn(
            (item for record in records for item in record.get("customFields", []) if isinstance(item, dict)),
            extra=("id", "caption", "type", "entryMethod", "numberOfDecimals", "value"),
        )
        custom = _compile(query.custom_field_conditions, "customFieldConditions", custom_schema, spec.resource, False)
    selected: list[Record] = []
    for record in records:
        if all(predicate(record) for predicate in predicates) and (
            custom is None or any(custom(item) for item in record.get("customFields", []) if isinstance(item, dict))
        ):
            selected.append(record)
    return selected


def _sort_value(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    if isinstance(value, str):
        moment = parse_datetime(value) if value[:4].isdigit() and "-" in value[:8] else None
        return (1, moment.timestamp()) if moment is not None else (2, value.casefold())
    return (3, str(value))


def parse_order_by(text: str | None, schema: FieldSchema, resource: str) -> list[tuple[Path, bool]]:
    """``[(path, descending)]`` from ``"name asc, id desc"``; unknown or object fields are a 400."""
    if text is None or not text.strip():
        return []
    order: list[tuple[Path, bool]] = []
    for item in text.split(","):
        words = item.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise _bad("orderBy", resource, f"Invalid orderBy '{item.strip()}': use 'field asc' or 'field desc'")
        path = split_path(words[0])
        kind = schema.kind(path)
        if kind is None:
            raise _bad("orderBy", resource, f"Invalid orderBy: unknown field '{words[0]}'")
        if kind in ("reference", "object", "list") or path in schema.under_list:
            raise _bad(
                "orderBy", resource, f"Invalid orderBy: '{words[0]}' cannot be sorted; sort by one of its fields"
            )
        order.append((path, len(words) == 2 and words[1].lower() == "desc"))
    return order


def sort_records(records: list[Record], order: list[tuple[Path, bool]]) -> list[Record]:
    """``records`` sorted by ``order`` (stable, ties by id ascending; nulls first ascending, as SQL Server)."""
    result = sorted(records, key=lambda record: record.get("id", 0))
    for path, descending in reversed(order):
        result.sort(key=lambda record: _sort_value(resolve(record, path)[0]), reverse=descending)
    return result


def parse_fields(text: str | None) -> dict[str, Any] | None:
    """The projection tree of ``fields=id,name,status/id`` (``None`` for every field)."""
    if text is None or not text.strip():
        return None
    tree: dict[str, Any] = {}
    for item in text.split(","):
        path = split_path(item)
        if not path:
            continue
        node = tree
        for segment in path[:-1]:
            child = node.get(segment)
            if child is None:
                if segment in node:
                    break
                child = node[segment] = {}
            node = child
        else:
            node[path[-1]] = None
    return tree


def project(value: Any, tree: Mapping[str, Any] | None) -> Any:
    """``value`` reduced to the fields in ``tree`` (lists are projected element by element)."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [project(item, tree) for item in value]
    if isinstance(value, Mapping):
        return {key: project(value[key], sub) for key, sub in tree.items() if key in value}
    return value


def paginate(
    records: list[Record],
    request: PageRequest,
    base_url: str,
    query: Sequence[tuple[str, str]],
) -> ListPage:
    """The requested page of ``records`` (already filtered and sorted) and its ``Link`` header."""
    size = request.page_size
    if request.forward_only:
        remaining = [record for record in records if record["id"] > request.page_id]
        chunk = remaining[:size]
        link = forward_link(base_url, query, request, chunk[-1]["id"]) if len(remaining) > size else None
        return ListPage(chunk, link)
    start = (request.page - 1) * size
    return ListPage(records[start : start + size], navigable_links(base_url, query, request, len(records)))
