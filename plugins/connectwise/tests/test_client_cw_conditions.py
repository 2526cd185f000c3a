"""Unit tests of the ConnectWise conditions builder (no server needed)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from optima_connectwise.client.conditions import C, Condition, render_conditions, render_value


def test_comparisons_render_each_operator() -> None:
    field = C.field("company/id")
    assert str(field == 250) == "company/id = 250"
    assert str(field != 250) == "company/id != 250"
    assert str(field < 3) == "company/id < 3"
    assert str(field <= 3) == "company/id <= 3"
    assert str(field > 3) == "company/id > 3"
    assert str(field >= 3) == "company/id >= 3"


def test_string_operators() -> None:
    assert str(C.field("name").like("Acme*")) == 'name like "Acme*"'
    assert str(C.field("name").not_like("Acme*")) == 'name not like "Acme*"'
    assert str(C.field("name").contains("corp")) == 'name contains "corp"'
    assert str(C.field("name").not_contains("corp")) == 'name not contains "corp"'


def test_in_lists() -> None:
    assert str(C.field("status/id").in_([1, 2])) == "status/id in (1,2)"
    assert str(C.field("identifier").in_(["a", 'b"c'])) == 'identifier in ("a","b\\"c")'
    assert str(C.field("status/id").not_in((3,))) == "status/id not in (3)"
    with pytest.raises(ValueError):
        C.field("status/id").in_([])
    with pytest.raises(TypeError):
        C.field("status/id").in_("12")  # type: ignore[arg-type]


def test_values_render_as_connectwise_literals() -> None:
    assert render_value(True) == "True"
    assert render_value(False) == "False"
    assert render_value(None) == "null"
    assert render_value(12) == "12"
    assert render_value(1.5) == "1.5"
    assert render_value(Decimal("10.50")) == "10.50"
    assert render_value(datetime(2026, 2, 20, 18, 4, 26, tzinfo=UTC)) == "[2026-02-20T18:04:26Z]"
    eastern = timezone(timedelta(hours=-5))
    assert render_value(datetime(2026, 2, 20, 13, 4, 26, 999, tzinfo=eastern)) == "[2026-02-20T18:04:26Z]"
    assert render_value(datetime(2026, 2, 20, 18, 4, 26)) == "[2026-02-20T18:04:26Z]"
    assert render_value(date(2026, 2, 20)) == "[2026-02-20T00:00:00Z]"
    with pytest.raises(ValueError):
        render_value(float("nan"))
    with pytest.raises(TypeError):
        render_value(object())  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        C.field("x") == [1, 2]  # noqa: B015


def test_booleans_are_not_rendered_as_integers() -> None:
    assert str(C.field("inactiveFlag") == False) == "inactiveFlag = False"  # noqa: E712
    assert str(C.field("inactiveFlag") == True) == "inactiveFlag = True"  # noqa: E712


def test_datetime_comparison() -> None:
    since = datetime(2026, 2, 20, 18, 4, 26, tzinfo=UTC)
    assert str(C.field("lastUpdated") > since) == "lastUpdated > [2026-02-20T18:04:26Z]"


def test_strings_are_quoted_and_escaped() -> None:
    hostile = 'Bob" OR id > 0 OR name = "\\'
    rendered = str(C.field("name") == hostile)
    assert rendered == 'name = "Bob\\" OR id > 0 OR name = \\"\\\\"'
    # the literal is one token: after the opening quote, every quote is escaped until the final one
    body = rendered[len('name = "') : -1]
    unescaped = body.replace("\\\\", "").replace('\\"', "")
    assert '"' not in unescaped


def test_and_or_combine_with_parentheses() -> None:
    a = C.field("company/id") == 250
    b = C.field("name").like("Acme*")
    c = C.field("status/id").in_([1, 2])
    assert str(a & b) == 'company/id = 250 AND name like "Acme*"'
    assert str(a & (b | c)) == 'company/id = 250 AND (name like "Acme*" OR status/id in (1,2))'
    assert str((a & b) | c) == '(company/id = 250 AND name like "Acme*") OR status/id in (1,2)'
    assert str(a & b & c) == 'company/id = 250 AND name like "Acme*" AND status/id in (1,2)'
    assert str((a | b) & (b | c)) == (
        '(company/id = 250 OR name like "Acme*") AND (name like "Acme*" OR status/id in (1,2))'
    )


def test_all_and_any_skip_none() -> None:
    a = C.field("id") == 1
    b = C.field("id") == 2
    assert C.all(None, None) is None
    assert C.all(a, None) is a
    assert str(C.all(a, None, b)) == "id = 1 AND id = 2"
    assert str(C.any(a, b)) == "id = 1 OR id = 2"


def test_python_and_or_are_refused() -> None:
    a = C.field("id") == 1
    with pytest.raises(TypeError):
        bool(a)
    with pytest.raises(TypeError):
        _ = a and (C.field("id") == 2)


@pytest.mark.parametrize(
    "name", ["", "1abc", "name = 1", "name;", "company id", "name)", 'na"me', "company/id OR 1", "ñame"]
)
def test_invalid_field_names_are_rejected(name: str) -> None:
    with pytest.raises(ValueError):
        C.field(name)


def test_valid_field_names() -> None:
    for name in ("name", "_info", "company/id", "status/name", "customFields", "a_b/c_d2"):
        assert C.field(name).name == name


def test_render_conditions_refuses_plain_strings() -> None:
    assert render_conditions(None) is None
    assert render_conditions(C.field("id") == 1) == "id = 1"
    with pytest.raises(TypeError):
        render_conditions("id = 1")  # type: ignore[arg-type]
    assert isinstance(C.field("id") == 1, Condition)
