"""Page parameters and RFC 5988 ``Link`` headers, navigable and forward-only, as ConnectWise sends them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from .errors import ConnectWiseError, field_error

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
_PAGING_NAMES = frozenset({"page", "pagesize", "pageid"})


def _out_of_range(field: str, message: str) -> ConnectWiseError:
    return ConnectWiseError(400, "InvalidObject", message, [field_error("OutOfRange", message, field, field)])


def _integer(raw: str | None, field: str, default: int, minimum: int) -> int:
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise _out_of_range(field, f"{field} must be an integer") from None
    if value < minimum:
        raise _out_of_range(field, f"{field} must be {minimum} or more")
    return value


@dataclass(frozen=True)
class PageRequest:
    """The requested page: navigable (``page``) or forward-only (``page_id``, the last id already seen)."""

    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    forward_only: bool = False
    page_id: int = 0

    @classmethod
    def parse(cls, page: str | None, page_size: str | None, page_id: str | None, forward_only: bool) -> PageRequest:
        """Validated paging parameters; ``pageSize`` over 1000 is a 400 ``OutOfRange``."""
        size = _integer(page_size, "pageSize", DEFAULT_PAGE_SIZE, 1)
        if size > MAX_PAGE_SIZE:
            raise _out_of_range("pageSize", f"pageSize must be between 1 and {MAX_PAGE_SIZE}")
        return cls(
            page=_integer(page, "page", 1, 1),
            page_size=size,
            forward_only=forward_only,
            page_id=_integer(page_id, "pageId", 0, 0) if forward_only else 0,
        )


def _url(base: str, query: Sequence[tuple[str, str]], extra: Sequence[tuple[str, str]]) -> str:
    kept = [(key, value) for key, value in query if key.lower() not in _PAGING_NAMES]
    return f"{base}?{urlencode([*kept, *extra], quote_via=quote, safe='/')}"


def navigable_links(base: str, query: Sequence[tuple[str, str]], request: PageRequest, total: int) -> str:
    """``first``, ``prev`` (unless on page 1), ``next`` (unless on the last page) and ``last`` links."""
    size = request.page_size
    last = max(1, -(-total // size))
    rels: list[tuple[str, int]] = [("first", 1)]
    if request.page > 1:
        rels.append(("prev", min(request.page - 1, last)))
    if request.page < last:
        rels.append(("next", request.page + 1))
    rels.append(("last", last))
    return ", ".join(
        f'<{_url(base, query, [("pageSize", str(size)), ("page", str(number))])}>; rel="{rel}"' for rel, number in rels
    )


def forward_link(base: str, query: Sequence[tuple[str, str]], request: PageRequest, last_id: int) -> str:
    """The single ``rel="next"`` link of forward-only paging, carrying the next ``pageId``."""
    url = _url(base, query, [("pageSize", str(request.page_size)), ("pageId", str(last_id))])
    return f'<{url}>; rel="next"'
