"""Value types: the spec's list and order, and each type's valid and invalid values."""

from __future__ import annotations

import pytest
from optima_credentials.value_types import (
    MAX_SUB_CREDENTIALS,
    MAX_TEXT_LENGTH,
    VALUE_TYPES,
    FieldValueError,
    ValidationFailed,
    get_value_type,
    is_empty_value,
    validate_value,
    value_type_names,
)

SPEC_VALUE_TYPES = [
    "plain_text",
    "license_key",
    "ip_address",
    "generic_secret",
    "bitlocker_key",
    "password",
    "multi_credential",
]
BITLOCKER = "000000-111111-222222-333333-444444-555555-666666-707707"


def test_names_match_spec_in_order() -> None:
    assert value_type_names() == SPEC_VALUE_TYPES
    assert list(VALUE_TYPES) == SPEC_VALUE_TYPES


def test_names_is_a_fresh_list() -> None:
    value_type_names().append("evil")
    assert value_type_names() == SPEC_VALUE_TYPES
    with pytest.raises(TypeError):
        VALUE_TYPES["evil"] = VALUE_TYPES["password"]  # type: ignore[index]


@pytest.mark.parametrize(
    ("name", "always_secure", "container"),
    [
        ("plain_text", False, False),
        ("license_key", False, False),
        ("ip_address", False, False),
        ("generic_secret", True, False),
        ("bitlocker_key", False, False),
        ("password", True, False),
        ("multi_credential", False, True),
    ],
)
def test_flags(name: str, always_secure: bool, container: bool) -> None:
    value_type = get_value_type(name)
    assert value_type.name == name
    assert value_type.always_secure is always_secure
    assert value_type.container is container


def test_unknown_value_type() -> None:
    with pytest.raises(KeyError):
        get_value_type("credit_card")
    with pytest.raises(KeyError):
        validate_value("credit_card", "x", field_id="f")


VALID = [
    ("plain_text", "AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE"),
    ("plain_text", "  vpn1.example.com \n", "vpn1.example.com"),
    ("plain_text", "line one\nline two", "line one\nline two"),
    ("plain_text", "x" * MAX_TEXT_LENGTH, "x" * MAX_TEXT_LENGTH),
    ("plain_text", "ünïcødé ✓", "ünïcødé ✓"),
    ("license_key", " ABCDE-FGHIJ-KLMNO ", "ABCDE-FGHIJ-KLMNO"),
    ("ip_address", "192.168.1.10", "192.168.1.10"),
    ("ip_address", " 10.0.0.1\t", "10.0.0.1"),
    ("ip_address", "0.0.0.0", "0.0.0.0"),
    ("ip_address", "255.255.255.255", "255.255.255.255"),
    ("ip_address", "::1", "::1"),
    ("ip_address", "2001:DB8:0::1", "2001:DB8:0::1"),
    ("ip_address", "::ffff:192.0.2.1", "::ffff:192.0.2.1"),
    ("ip_address", "fe80::1%eth0", "fe80::1%eth0"),
    ("ip_address", "fe80::1%3", "fe80::1%3"),
    ("generic_secret", "  spaces kept  ", "  spaces kept  "),
    (
        "generic_secret",
        "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
        "-----BEGIN KEY-----\nabc\n-----END KEY-----\n",
    ),
    ("password", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"),
    ("password", " pass word ", " pass word "),
    ("password", "p" * MAX_TEXT_LENGTH, "p" * MAX_TEXT_LENGTH),
    ("bitlocker_key", BITLOCKER, BITLOCKER),
    ("bitlocker_key", f" {BITLOCKER}\n", BITLOCKER),
    ("bitlocker_key", "715715-000011-123453-654654-011011-099990-000000-720885", None),
    ("multi_credential", [], []),
    ("multi_credential", ["ckx1abc", "ckx2_def-9"], ["ckx1abc", "ckx2_def-9"]),
    ("multi_credential", ("a", "b"), ["a", "b"]),
    ("multi_credential", [f"id{i}" for i in range(MAX_SUB_CREDENTIALS)], None),
]


@pytest.mark.parametrize(("value_type", "value", "expected"), VALID)
def test_valid_values(value_type: str, value: object, expected: object) -> None:
    result = validate_value(value_type, value, field_id="f")
    assert result == (value if expected is None else expected)


INVALID = [
    ("plain_text", None, "Must be a string"),
    ("plain_text", 443, "Must be a string"),
    ("plain_text", True, "Must be a string"),
    ("plain_text", ["a"], "Must be a string"),
    ("plain_text", b"bytes", "Must be a string"),
    ("plain_text", "", "Must not be empty"),
    ("plain_text", " \n\t ", "Must not be empty"),
    ("plain_text", "x" * (MAX_TEXT_LENGTH + 1), "at most 10000"),
    ("plain_text", "nul\x00byte", "NUL"),
    ("plain_text", "lone\ud800surrogate", "valid Unicode"),
    ("license_key", "", "Must not be empty"),
    ("license_key", 12345, "Must be a string"),
    ("ip_address", "256.1.1.1", "valid IPv4 or IPv6"),
    ("ip_address", "10.0.0.0/8", "valid IPv4 or IPv6"),
    ("ip_address", "example.com", "valid IPv4 or IPv6"),
    ("ip_address", "127.1", "valid IPv4 or IPv6"),
    ("ip_address", "0x7f.0.0.1", "valid IPv4 or IPv6"),
    ("ip_address", "010.001.001.001", "valid IPv4 or IPv6"),
    ("ip_address", "1.2.3.4.5", "valid IPv4 or IPv6"),
    ("ip_address", "１.２.３.４", "valid IPv4 or IPv6"),
    ("ip_address", "2001:db8::g", "valid IPv4 or IPv6"),
    ("ip_address", "1:2:3:4:5:6:7:8:9", "valid IPv4 or IPv6"),
    ("ip_address", "fe80::1%eth0 x", "valid IPv4 or IPv6"),
    ("ip_address", "fe80::1%", "valid IPv4 or IPv6"),
    ("ip_address", "1.2.3.4%eth0", "valid IPv4 or IPv6"),
    ("ip_address", 3232235777, "Must be a string"),
    ("ip_address", "", "Must not be empty"),
    ("generic_secret", "   ", "Must not be empty"),
    ("generic_secret", {"k": "v"}, "Must be a string"),
    ("password", "", "Must not be empty"),
    ("password", "\n", "Must not be empty"),
    ("password", "p" * (MAX_TEXT_LENGTH + 1), "at most 10000"),
    ("password", "sec\x00ret", "NUL"),
    ("bitlocker_key", BITLOCKER.replace("-", " "), "eight groups of six digits"),
    ("bitlocker_key", BITLOCKER.replace("-", ""), "eight groups of six digits"),
    ("bitlocker_key", BITLOCKER.rsplit("-", 1)[0], "eight groups of six digits"),
    ("bitlocker_key", BITLOCKER + "-000000", "eight groups of six digits"),
    ("bitlocker_key", "00000-111111-222222-333333-444444-555555-666666-707707", "eight groups of six digits"),
    ("bitlocker_key", "00000a-111111-222222-333333-444444-555555-666666-707707", "eight groups of six digits"),
    ("bitlocker_key", "٠٠٠٠٠٠-111111-222222-333333-444444-555555-666666-707707", "eight groups of six digits"),
    ("bitlocker_key", "123456-111111-222222-333333-444444-555555-666666-707707", "checksum"),
    ("bitlocker_key", "000000-111111-222222-333333-444444-555555-666666-720907", "checksum"),
    ("bitlocker_key", "000000-111111-222222-333333-444444-555555-666666-777777", "checksum"),
    ("bitlocker_key", "", "Must not be empty"),
    ("multi_credential", "ckx1", "list of sub-credential ids"),
    ("multi_credential", None, "list of sub-credential ids"),
    ("multi_credential", [""], "list of sub-credential ids"),
    ("multi_credential", [1], "list of sub-credential ids"),
    ("multi_credential", ["has space"], "list of sub-credential ids"),
    ("multi_credential", ["x" * 129], "list of sub-credential ids"),
    ("multi_credential", ["a", "b", "a"], "twice"),
    ("multi_credential", [f"id{i}" for i in range(MAX_SUB_CREDENTIALS + 1)], "at most 100"),
]


@pytest.mark.parametrize(("value_type", "value", "message"), INVALID)
def test_invalid_values(value_type: str, value: object, message: str) -> None:
    with pytest.raises(FieldValueError) as info:
        validate_value(value_type, value, field_id="theField")
    error = info.value
    assert error.field_id == "theField"
    assert message in error.message
    assert str(error) == error.message


@pytest.mark.parametrize(("value_type", "value", "_message"), INVALID)
def test_invalid_value_never_in_message(value_type: str, value: object, _message: str) -> None:
    with pytest.raises(FieldValueError) as info:
        validate_value(value_type, value, field_id="f")
    texts = (str(info.value), repr(info.value), info.value.message)
    for fragment in _fragments(value):
        for text in texts:
            assert fragment not in text
    assert info.value.__context__ is None


def _fragments(value: object) -> list[str]:
    """The recognisable pieces of a submitted value (3+ characters) that a message must not repeat."""
    if isinstance(value, str):
        pieces = [value]
    elif isinstance(value, list | tuple):
        pieces = [v for v in value if isinstance(v, str)]
    elif isinstance(value, int) and not isinstance(value, bool):
        pieces = [str(value)]
    else:
        pieces = []
    return [p.strip() for p in pieces if len(p.strip()) >= 3]


def test_is_empty_value() -> None:
    for empty in (None, "", "   ", "\n\t", [], ()):
        assert is_empty_value(empty), empty
    for filled in ("x", " x ", ["a"], 0, False):
        assert not is_empty_value(filled), filled


def test_validation_failed_shape() -> None:
    error = ValidationFailed(
        [{"path": ["fields", 2, "value"], "message": "Field is required"}, {"path": [], "message": "Other"}]
    )
    assert error.errors == [
        {"path": ["fields", 2, "value"], "message": "Field is required"},
        {"path": [], "message": "Other"},
    ]
    assert str(error) == "fields.2.value: Field is required (and 1 more)"
    assert isinstance(error, ValueError)
    with pytest.raises(ValueError):
        ValidationFailed([])
