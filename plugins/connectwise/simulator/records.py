"""Record helpers: ConnectWise timestamps, ``_info`` blocks, hrefs and null-free record shapes."""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from typing import Any

#: The fixed "today" of seeded data, so one seed always yields the same records.
BASE_DATE = datetime(2026, 2, 20, 18, 0, 0, tzinfo=UTC)

#: Stored hrefs start with this marker; responses swap it for the absolute API base URL of the request.
HREF_BASE = "@@CWBASE@@"

_DATETIME_TEXT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")

Record = dict[str, Any]


def format_datetime(moment: datetime) -> str:
    """``2026-02-20T18:04:26Z``: ConnectWise's UTC second-precision format."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(text: str) -> datetime | None:
    """A timezone-aware datetime from ISO text (``Z``, offsets, or a bare date), else ``None``."""
    value = text.strip()
    if not value:
        return None
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def looks_like_datetime(value: object) -> bool:
    """Whether a stored string value is a ConnectWise datetime."""
    return isinstance(value, str) and bool(_DATETIME_TEXT.match(value))


def href(path: str) -> str:
    """A stored href to ``path`` under the API base (made absolute when a response is written)."""
    return HREF_BASE + path


def make_info(
    entered: datetime, entered_by: str, updated: datetime | None = None, updated_by: str | None = None
) -> dict[str, Any]:
    """An ``_info`` block: ``lastUpdated``, ``updatedBy``, ``dateEntered``, ``enteredBy``."""
    return {
        "lastUpdated": format_datetime(updated or entered),
        "updatedBy": updated_by or entered_by,
        "dateEntered": format_datetime(entered),
        "enteredBy": entered_by,
    }


def compact(value: Any) -> Any:
    """``value`` without ``None`` members of objects, recursively: ConnectWise omits null fields."""
    if isinstance(value, dict):
        return {key: compact(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [compact(item) for item in value]
    return value


def clone(record: Record) -> Record:
    """A deep copy, so callers never share mutable state with the store."""
    return copy.deepcopy(record)


def full_name(first: str | None, last: str | None) -> str:
    """``first last`` without stray spaces when either part is missing."""
    return " ".join(part for part in (first, last) if part)
