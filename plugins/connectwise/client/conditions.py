"""ConnectWise ``conditions`` built from values, never from pasted strings.

ConnectWise filters lists with a small expression language (``company/id = 250 AND name like "Acme*"``).
Concatenating user input into it is an injection hole, so every condition here is a tree of
:class:`Condition` nodes whose leaves hold a validated field name, an operator and a Python value; the
value is rendered by :func:`render_value`:

======================  ==========================================
Python value            rendered as
======================  ==========================================
``str``                 ``"..."`` with ``\\`` and ``"`` escaped
``bool``                ``True`` / ``False``
``int`` / ``Decimal``   bare digits
``float``               ``repr`` (finite values only)
``datetime``            ``[2026-02-20T18:04:26Z]`` (UTC; naive means UTC)
``date``                ``[2026-02-20T00:00:00Z]``
``None``                ``null``
======================  ==========================================

Usage::

    from optima_connectwise.client.conditions import C

    cond = (C.field("company/id") == 250) & (C.field("name").like("Acme*") | C.field("status/id").in_([1, 2]))
    str(cond)  # 'company/id = 250 AND (name like "Acme*" OR status/id in (1,2))'

Field names must match ``[A-Za-z_][A-Za-z0-9_/]*``; anything else raises ``ValueError``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TypeAlias

Value: TypeAlias = str | bool | int | float | Decimal | datetime | date | None

FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_/]*")


def validate_field(name: str) -> str:
    """``name`` if it is a ConnectWise field path (``name``, ``company/id``), else ``ValueError``."""
    if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
        raise ValueError(f"invalid ConnectWise field name {name!r}")
    return name


def quote_string(text: str) -> str:
    """``text`` as a ConnectWise string literal: double quotes, with ``\\`` and ``"`` backslash-escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_datetime(moment: datetime | date) -> str:
    """A datetime (or date, at midnight) as ``[YYYY-MM-DDTHH:MM:SSZ]`` in UTC; naive datetimes are UTC."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    elif moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return "[" + moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") + "]"


def render_value(value: Value) -> str:
    """One value as a ConnectWise literal; unsupported types raise ``TypeError``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"cannot use non-finite number {value!r} in a ConnectWise condition")
        return repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"cannot use non-finite number {value!r} in a ConnectWise condition")
        return format(value, "f")
    if isinstance(value, str):
        return quote_string(value)
    if isinstance(value, datetime | date):
        return render_datetime(value)
    raise TypeError(f"cannot use a {type(value).__name__} in a ConnectWise condition")


class Condition:
    """A node of a condition tree; ``str()`` renders it, ``&`` / ``|`` combine two nodes."""

    def render(self) -> str:
        """The condition as ConnectWise expects it in ``conditions=``."""
        raise NotImplementedError

    def __str__(self) -> str:
        return self.render()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.render()!r})"

    def __and__(self, other: Condition) -> Condition:
        return _combine("AND", self, other)

    def __or__(self, other: Condition) -> Condition:
        return _combine("OR", self, other)

    def __bool__(self) -> bool:
        # ``a == 1 and b == 2`` would silently drop a clause; force ``&``/``|``.
        raise TypeError("use & and | to combine ConnectWise conditions, not 'and'/'or'")


class Comparison(Condition):
    """``field op value``: one leaf of the tree."""

    __slots__ = ("field", "op", "value")

    def __init__(self, field: str, op: str, value: Value | tuple[Value, ...]) -> None:
        self.field = validate_field(field)
        self.op = op
        self.value = value

    def render(self) -> str:
        if isinstance(self.value, tuple):
            return f"{self.field} {self.op} ({','.join(render_value(v) for v in self.value)})"
        return f"{self.field} {self.op} {render_value(self.value)}"


class Group(Condition):
    """Several conditions joined by ``AND`` or ``OR``; nested groups of the other kind get parentheses."""

    __slots__ = ("joiner", "parts")

    def __init__(self, joiner: str, parts: tuple[Condition, ...]) -> None:
        if joiner not in ("AND", "OR"):
            raise ValueError(f"unknown joiner {joiner!r}")
        if not parts:
            raise ValueError("a condition group needs at least one condition")
        self.joiner = joiner
        self.parts = parts

    def render(self) -> str:
        rendered = []
        for part in self.parts:
            text = part.render()
            rendered.append(f"({text})" if isinstance(part, Group) and len(part.parts) > 1 else text)
        return f" {self.joiner} ".join(rendered)


def _combine(joiner: str, left: Condition, right: Condition) -> Condition:
    if not isinstance(left, Condition) or not isinstance(right, Condition):
        return NotImplemented
    parts: list[Condition] = []
    for side in (left, right):
        if isinstance(side, Group) and side.joiner == joiner:
            parts.extend(side.parts)
        else:
            parts.append(side)
    return Group(joiner, tuple(parts))


class Field:
    """A field path whose comparison operators build :class:`Comparison` nodes."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = validate_field(name)

    def __eq__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "=", _checked(value))

    def __ne__(self, value: object) -> Comparison:  # type: ignore[override]
        return Comparison(self.name, "!=", _checked(value))

    def __lt__(self, value: Value) -> Comparison:
        return Comparison(self.name, "<", _checked(value))

    def __le__(self, value: Value) -> Comparison:
        return Comparison(self.name, "<=", _checked(value))

    def __gt__(self, value: Value) -> Comparison:
        return Comparison(self.name, ">", _checked(value))

    def __ge__(self, value: Value) -> Comparison:
        return Comparison(self.name, ">=", _checked(value))

    __hash__ = None  # type: ignore[assignment]

    def like(self, pattern: str) -> Comparison:
        """``field like "pattern"``; ``*`` in ``pattern`` is ConnectWise's wildcard."""
        return Comparison(self.name, "like", _string(pattern))

    def not_like(self, pattern: str) -> Comparison:
        """``field not like "pattern"``."""
        return Comparison(self.name, "not like", _string(pattern))

    def contains(self, text: str) -> Comparison:
        """``field contains "text"``."""
        return Comparison(self.name, "contains", _string(text))

    def not_contains(self, text: str) -> Comparison:
        """``field not contains "text"``."""
        return Comparison(self.name, "not contains", _string(text))

    def in_(self, values: Iterable[Value]) -> Comparison:
        """``field in (v1,v2,...)``; an empty list raises ``ValueError`` (ConnectWise rejects ``in ()``)."""
        return Comparison(self.name, "in", _values(values))

    def not_in(self, values: Iterable[Value]) -> Comparison:
        """``field not in (v1,v2,...)``."""
        return Comparison(self.name, "not in", _values(values))

    def is_null(self) -> Comparison:
        """``field = null``."""
        return Comparison(self.name, "=", None)

    def is_not_null(self) -> Comparison:
        """``field != null``."""
        return Comparison(self.name, "!=", None)


def _checked(value: object) -> Value:
    render_value(value)  # type: ignore[arg-type]
    return value  # type: ignore[return-value]


def _string(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got a {type(value).__name__}")
    return value


def _values(values: Iterable[Value]) -> tuple[Value, ...]:
    if isinstance(values, str | bytes):
        raise TypeError("in_() takes a list of values, not a string")
    items = tuple(_checked(v) for v in values)
    if not items:
        raise ValueError("in_() needs at least one value")
    return items


def all_of(*conditions: Condition | None) -> Condition | None:
    """The ``AND`` of the conditions that are not ``None``; ``None`` if there are none."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    result = present[0]
    for cond in present[1:]:
        result = result & cond
    return result


def any_of(*conditions: Condition | None) -> Condition | None:
    """The ``OR`` of the conditions that are not ``None``; ``None`` if there are none."""
    present = [c for c in conditions if c is not None]
    if not present:
        return None
    result = present[0]
    for cond in present[1:]:
        result = result | cond
    return result


class C:
    """Namespace for building conditions: ``C.field("name")``, ``C.all(...)``, ``C.any(...)``."""

    field = staticmethod(Field)
    all = staticmethod(all_of)
    any = staticmethod(any_of)


def render_conditions(condition: Condition | None) -> str | None:
    """The string for a ``conditions`` parameter; only :class:`Condition` trees are accepted."""
    if condition is None:
        return None
    if not isinstance(condition, Condition):
        raise TypeError("conditions must be built with optima_connectwise.client.conditions, not strings")
    return condition.render()
