"""RFC 5988 / 8288 ``Link`` headers, as ConnectWise uses them for paging.

Navigable pagination answers ``Link: <https://…?page=2&pageSize=25>; rel="next", <…>; rel="last"``;
forward-only pagination answers a ``rel="next"`` link carrying ``pageId``, and no Link at the end.
URLs may contain commas and semicolons (``fields=id,name``, quoted conditions), so the header is
scanned rather than split on ``,``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit


@dataclass(frozen=True)
class LinkValue:
    """One link of a ``Link`` header: its target and its parameters (``rel`` split into a set)."""

    url: str
    rels: frozenset[str]
    params: dict[str, str] = field(default_factory=dict)


def _skip_spaces(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _read_quoted(text: str, i: int) -> tuple[str, int]:
    """The quoted-string starting at ``text[i] == '"'`` and the index after its closing quote."""
    out: list[str] = []
    i += 1
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
            continue
        if char == '"':
            return "".join(out), i + 1
        out.append(char)
        i += 1
    return "".join(out), i


def parse_link_header(value: str | None) -> list[LinkValue]:
    """Every well-formed link in ``value``; malformed pieces are skipped, never raised."""
    links: list[LinkValue] = []
    if not value:
        return links
    text, i = value, 0
    while i < len(text):
        start = text.find("<", i)
        if start < 0:
            break
        end = text.find(">", start + 1)
        if end < 0:
            break
        url = text[start + 1 : end].strip()
        i = end + 1
        params: dict[str, str] = {}
        while True:
            i = _skip_spaces(text, i)
            if i >= len(text) or text[i] == ",":
                i += 1
                break
            if text[i] != ";":
                # garbage between links: resynchronise on the next separator
                comma = text.find(",", i)
                i = len(text) if comma < 0 else comma + 1
                break
            i = _skip_spaces(text, i + 1)
            name_start = i
            while i < len(text) and text[i] not in "=;, \t":
                i += 1
            name = text[name_start:i].lower()
            i = _skip_spaces(text, i)
            param_value = ""
            if i < len(text) and text[i] == "=":
                i = _skip_spaces(text, i + 1)
                if i < len(text) and text[i] == '"':
                    param_value, i = _read_quoted(text, i)
                else:
                    value_start = i
                    while i < len(text) and text[i] not in ";,":
                        i += 1
                    param_value = text[value_start:i].strip()
            if name and name not in params:
                params[name] = param_value
        rels = frozenset(rel.lower() for rel in params.get("rel", "").split())
        links.append(LinkValue(url=url, rels=rels, params=params))
    return links


def find_link(value: str | None, rel: str) -> str | None:
    """The URL of the first link with relation ``rel`` (``next``, ``last``, …), or ``None``."""
    wanted = rel.lower()
    for link in parse_link_header(value):
        if wanted in link.rels:
            return link.url
    return None


def link_query(url: str) -> dict[str, str]:
    """The query parameters of a link URL (last value wins), e.g. ``{"page": "2", "pageSize": "25"}``."""
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))
