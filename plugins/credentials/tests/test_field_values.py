"""A credential's submitted values against its type: create, partial update, sub-credentials, masking."""

from __future__ import annotations

from typing import Any

import pytest
from optima_credentials.field_values import (
    MAX_INLINE_SUB_CREDENTIALS,
    MAX_SUBMITTED_FIELDS,
    CredentialFields,
    CredentialFieldsError,
    FieldUpdates,
    FieldValue,
    SubCredentialInput,
    present_fields,
    validate_credential_fields,
    validate_field_updates,
    validate_sub_credential,
)
from optima_credentials.type_schema import FieldDefinition, validate_fields
from optima_credentials.value_types import MAX_SUB_CREDENTIALS, ValidationFailed

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
BITLOCKER = "000000-111111-222222-333333-444444-555555-666666-707707"

AWS = validate_fields(
    [
        {"id": "accessKeyId", "name": "Access Key ID", "required": True, "secure": False, "valueType": "plain_text"},
        {
            "id": "secretAccessKey",
            "name": "Secret Access Key",
            "required": True,
            "secure": True,
            "valueType": "password",
        },
        {"id": "region", "name": "Region", "required": False, "secure": False, "valueType": "plain_text"},
        {"id": "gateway", "name": "Gateway", "required": False, "secure": False, "valueType": "ip_address"},
        {"id": "recovery", "name": "Recovery Key", "required": False, "secure": True, "valueType": "bitlocker_key"},
    ]
)

VPN = validate_fields(
    [
        {"id": "hostname", "name": "Hostname", "required": True, "secure": False, "valueType": "plain_text"},
        {
            "id": "tunnels",
            "name": "Tunnels",
            "required": False,
            "secure": False,
            "valueType": "multi_credential",
            "subFields": [
                {"id": "server", "name": "Server", "required": True, "secure": False, "valueType": "plain_text"},
                {"id": "port", "name": "Port", "required": False, "secure": False, "valueType": "plain_text"},
                {"id": "psk", "name": "Pre-Shared Key", "required": False, "secure": True, "valueType": "password"},
            ],
        },
    ]
)

REQUIRED_MULTI = validate_fields(
    [
        {
            "id": "sites",
            "name": "Sites",
            "required": True,
            "valueType": "multi_credential",
            "subFields": [
                {"id": "label", "name": "Label", "required": True, "valueType": "plain_text"},
                {
                    "id": "devices",
                    "name": "Devices",
                    "valueType": "multi_credential",
                    "subFields": [{"id": "pin", "name": "PIN", "required": True, "valueType": "password"}],
                },
            ],
        }
    ]
)


def aws_fields(**overrides: object) -> list[dict[str, Any]]:
    values: dict[str, object] = {"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": SECRET, **overrides}
    return [{"fieldId": key, "value": value} for key, value in values.items()]


def create_errors(definitions: list[FieldDefinition], fields: object, **kwargs: Any) -> list[dict[str, Any]]:
    with pytest.raises(CredentialFieldsError) as info:
        validate_credential_fields(definitions, fields, **kwargs)
    assert isinstance(info.value, ValidationFailed)
    _assert_no_secret(info.value)
    return info.value.errors  # type: ignore[return-value]


def update_errors(definitions: list[FieldDefinition], fields: object) -> list[dict[str, Any]]:
    with pytest.raises(CredentialFieldsError) as info:
        validate_field_updates(definitions, fields)
    _assert_no_secret(info.value)
    return info.value.errors  # type: ignore[return-value]


def _assert_no_secret(error: CredentialFieldsError) -> None:
    for text in (str(error), repr(error), repr(error.errors)):
        assert SECRET not in text
        assert "topsecret" not in text


def paths(errors: list[dict[str, Any]]) -> list[list[Any]]:
    return [e["path"] for e in errors]


# --- create -------------------------------------------------------------------------------------------


def test_spec_create_example() -> None:
    body_fields = [
        {"id": "ckx1...", "fieldId": "accessKeyId", "value": "AKIAIOSFODNN7EXAMPLE"},
        {"id": "ckx2...", "fieldId": "secretAccessKey", "value": SECRET},
    ]
    result = validate_credential_fields(AWS, body_fields)
    assert result == CredentialFields(
        fields=(
            FieldValue("accessKeyId", "plain_text", False, "AKIAIOSFODNN7EXAMPLE"),
            FieldValue("secretAccessKey", "password", True, SECRET),
        )
    )


def test_values_in_definition_order_and_normalised() -> None:
    fields = [
        {"fieldId": "gateway", "value": " 10.0.0.1 "},
        {"fieldId": "secretAccessKey", "value": "  pass with spaces  "},
        {"fieldId": "region", "value": "  eu-west-1\n"},
        {"fieldId": "accessKeyId", "value": "AKIA"},
        {"fieldId": "recovery", "value": BITLOCKER},
    ]
    result = validate_credential_fields(AWS, fields)
    assert [(v.field_id, v.value, v.secure) for v in result.fields] == [
        ("accessKeyId", "AKIA", False),
        ("secretAccessKey", "  pass with spaces  ", True),
        ("region", "eu-west-1", False),
        ("gateway", "10.0.0.1", False),
        ("recovery", BITLOCKER, True),
    ]


def test_secure_flag_comes_from_definition_not_client() -> None:
    fields = [
        {"fieldId": "accessKeyId", "value": "AKIA", "secure": True},
        {"fieldId": "secretAccessKey", "value": SECRET, "secure": False, "valueType": "plain_text"},
    ]
    result = validate_credential_fields(AWS, fields)
    assert [(v.field_id, v.secure, v.value_type) for v in result.fields] == [
        ("accessKeyId", False, "plain_text"),
        ("secretAccessKey", True, "password"),
    ]


def test_response_shape_with_id_as_field_id_is_accepted() -> None:
    fields = [
        {"id": "accessKeyId", "name": "Access Key ID", "secure": False, "required": True, "value": "AKIA"},
        {"id": "secretAccessKey", "name": "Secret Access Key", "secure": True, "value": SECRET},
    ]
    result = validate_credential_fields(AWS, fields)
    assert [v.field_id for v in result.fields] == ["accessKeyId", "secretAccessKey"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (None, [(["fields"], "Must be an array")]),
        ({"accessKeyId": "AKIA"}, [(["fields"], "Must be an array")]),
        (
            [],
            [
                (["fields"], "Access Key ID (accessKeyId) is required"),
                (["fields"], "Secret Access Key (secretAccessKey) is required"),
            ],
        ),
        (aws_fields(secretAccessKey=None), [(["fields", 1, "value"], "Field is required")]),
        (aws_fields(secretAccessKey=""), [(["fields", 1, "value"], "Field is required")]),
        (aws_fields(accessKeyId="   "), [(["fields", 0, "value"], "Field is required")]),
        ([{"fieldId": "accessKeyId", "value": "A"}], [(["fields"], "Secret Access Key (secretAccessKey) is required")]),
        ([{"fieldId": "accessKeyId"}, *aws_fields()[1:]], [(["fields", 0, "value"], "Field is required")]),
        ([*aws_fields(), {"fieldId": "nope", "value": "x"}], [(["fields", 2, "fieldId"], "Unknown field")]),
        ([*aws_fields(), {"fieldId": "AccessKeyId", "value": "x"}], [(["fields", 2, "fieldId"], "Unknown field")]),
        ([*aws_fields(), {"fieldId": "accessKeyId", "value": "x"}], [(["fields", 2, "fieldId"], "Duplicate field")]),
        ([*aws_fields(), {"value": "x"}], [(["fields", 2, "fieldId"], "Field is required")]),
        ([*aws_fields(), {"fieldId": 3, "value": "x"}], [(["fields", 2, "fieldId"], "Must be a string")]),
        ([*aws_fields(), {"id": 3, "value": "x"}], [(["fields", 2, "id"], "Must be a string")]),
        ([*aws_fields(), "region"], [(["fields", 2], "Must be an object")]),
        (aws_fields(gateway="999.0.0.1"), [(["fields", 2, "value"], "valid IPv4 or IPv6")]),
        (aws_fields(region=443), [(["fields", 2, "value"], "Must be a string")]),
        (aws_fields(recovery="topsecret-not-a-key"), [(["fields", 2, "value"], "eight groups")]),
        (aws_fields(secretAccessKey=SECRET * 300), [(["fields", 1, "value"], "at most 10000")]),
        (aws_fields(secretAccessKey=["topsecret"]), [(["fields", 1, "value"], "Must be a string")]),
    ],
)
def test_create_errors(fields: object, expected: list[tuple[list[Any], str]]) -> None:
    errors = create_errors(AWS, fields)
    assert paths(errors) == [path for path, _ in expected]
    for error, (_, message) in zip(errors, expected, strict=True):
        assert message in error["message"]


def test_every_problem_reported_at_once() -> None:
    fields = [
        {"fieldId": "accessKeyId", "value": ""},
        {"fieldId": "unknown", "value": "x"},
        {"fieldId": "gateway", "value": "not-an-ip"},
    ]
    assert paths(create_errors(AWS, fields)) == [
        ["fields", 1, "fieldId"],
        ["fields", 0, "value"],
        ["fields"],
        ["fields", 2, "value"],
    ]


def test_unknown_field_id_not_echoed() -> None:
    errors = create_errors(AWS, [*aws_fields(), {"fieldId": "topsecret", "value": "x"}])
    assert all("topsecret" not in e["message"] for e in errors)


def test_optional_fields_may_be_empty_or_absent() -> None:
    result = validate_credential_fields(AWS, aws_fields(region="", gateway=None))
    assert [v.field_id for v in result.fields] == ["accessKeyId", "secretAccessKey"]


def test_too_many_entries() -> None:
    fields = [{"fieldId": f"f{i}", "value": "x"} for i in range(MAX_SUBMITTED_FIELDS + 1)]
    assert create_errors(AWS, fields) == [{"path": ["fields"], "message": "Must have at most 50 entries"}]


def test_secure_values_masked_in_repr() -> None:
    result = validate_credential_fields(AWS, aws_fields(region="eu-west-1"))
    text = repr(result)
    assert SECRET not in text
    assert "'<secure>'" in text
    assert "eu-west-1" in text  # non-secure values stay visible for debugging
    assert SECRET not in repr(result.fields[1]) and SECRET not in str(result.fields[1])
    assert result.fields[1].value == SECRET


def test_secure_value_never_in_errors() -> None:
    for bad in (SECRET * 300, "\x00" + SECRET, "   "):
        errors = create_errors(AWS, aws_fields(secretAccessKey=bad))
        assert SECRET not in repr(errors)


# --- sub-credentials on create ------------------------------------------------------------------------


def tunnel(name: str = "Tunnel 1", **values: object) -> dict[str, Any]:
    values = {"server": "vpn1.example.com", "port": "443", **values}
    return {"name": name, "fields": [{"fieldId": k, "value": v} for k, v in values.items()]}


def test_spec_sub_credentials_example() -> None:
    result = validate_credential_fields(
        VPN,
        [{"fieldId": "hostname", "value": "vpn.example.com"}],
        sub_credentials={"tunnels": [tunnel(), tunnel("Tunnel 2", psk="topsecret")]},
    )
    assert result.fields == (FieldValue("hostname", "plain_text", False, "vpn.example.com"),)
    first, second = result.sub_credentials
    assert first == SubCredentialInput(
        field_id="tunnels",
        name="Tunnel 1",
        fields=(
            FieldValue("server", "plain_text", False, "vpn1.example.com"),
            FieldValue("port", "plain_text", False, "443"),
        ),
    )
    assert second.name == "Tunnel 2"
    assert second.fields[-1] == FieldValue("psk", "password", True, "topsecret")
    assert "topsecret" not in repr(result)


def test_no_sub_credentials_is_fine_for_optional_container() -> None:
    for subs in (None, {}, {"tunnels": []}):
        result = validate_credential_fields(VPN, [{"fieldId": "hostname", "value": "h"}], sub_credentials=subs)
        assert result.sub_credentials == ()


@pytest.mark.parametrize("value", [None, []])
def test_container_field_may_be_listed_empty(value: object) -> None:
    fields = [{"fieldId": "hostname", "value": "h"}, {"fieldId": "tunnels", "value": value}]
    assert validate_credential_fields(VPN, fields).fields == (FieldValue("hostname", "plain_text", False, "h"),)


@pytest.mark.parametrize("value", [["ckxOtherCompanyCredential"], "ckx1", ""])
def test_container_value_cannot_be_set_by_client(value: object) -> None:
    fields = [{"fieldId": "hostname", "value": "h"}, {"fieldId": "tunnels", "value": value}]
    errors = create_errors(VPN, fields)
    assert errors == [{"path": ["fields", 1, "value"], "message": "Set sub-credentials through subCredentials"}]


HOST = [{"fieldId": "hostname", "value": "h"}]


@pytest.mark.parametrize(
    ("subs", "expected"),
    [
        ([tunnel()], [(["subCredentials"], "Must be an object")]),
        ({"nope": [tunnel()]}, [(["subCredentials", "nope"], "Unknown field")]),
        ({"hostname": [tunnel()]}, [(["subCredentials", "hostname"], "Not a multi_credential field")]),
        ({"tunnels": tunnel()}, [(["subCredentials", "tunnels"], "Must be an array")]),
        ({"tunnels": ["Tunnel 1"]}, [(["subCredentials", "tunnels", 0], "Must be an object")]),
        (
            {"tunnels": [{"fields": tunnel()["fields"]}]},
            [(["subCredentials", "tunnels", 0, "name"], "Field is required")],
        ),
        ({"tunnels": [tunnel("  ")]}, [(["subCredentials", "tunnels", 0, "name"], "Must not be empty")]),
        ({"tunnels": [tunnel(7)]}, [(["subCredentials", "tunnels", 0, "name"], "Must be a string")]),  # type: ignore[arg-type]
        ({"tunnels": [tunnel("n" * 256)]}, [(["subCredentials", "tunnels", 0, "name"], "at most 255")]),
        ({"tunnels": [tunnel("nul\x00")]}, [(["subCredentials", "tunnels", 0, "name"], "without NUL")]),
        ({"tunnels": [tunnel("x\ud800")]}, [(["subCredentials", "tunnels", 0, "name"], "valid text")]),
        (
            {"tunnels": [tunnel(), tunnel(server="")]},
            [(["subCredentials", "tunnels", 1, "fields", 0, "value"], "Field is required")],
        ),
        (
            {"tunnels": [{"name": "T", "fields": [{"fieldId": "port", "value": "1"}]}]},
            [(["subCredentials", "tunnels", 0, "fields"], "Server (server) is required")],
        ),
        ({"tunnels": [{"name": "T"}]}, [(["subCredentials", "tunnels", 0, "fields"], "Server (server) is required")]),
        (
            {"tunnels": [tunnel(hostname="x")]},
            [(["subCredentials", "tunnels", 0, "fields", 2, "fieldId"], "Unknown field")],
        ),
        (
            {"tunnels": [tunnel(psk="")]},
            [],
        ),
        (
            {"tunnels": [{"name": "T", "fields": "server=x"}]},
            [(["subCredentials", "tunnels", 0, "fields"], "Must be an array")],
        ),
        (
            {"tunnels": [tunnel() for _ in range(MAX_SUB_CREDENTIALS + 1)]},
            [(["subCredentials", "tunnels"], "at most 100 sub-credentials")],
        ),
    ],
)
def test_sub_credential_errors(subs: object, expected: list[tuple[list[Any], str]]) -> None:
    if not expected:
        validate_credential_fields(VPN, HOST, sub_credentials=subs)
        return
    errors = create_errors(VPN, HOST, sub_credentials=subs)
    assert paths(errors) == [path for path, _ in expected]
    for error, (_, message) in zip(errors, expected, strict=True):
        assert message in error["message"]


def test_sub_credential_secure_value_not_echoed() -> None:
    errors = create_errors(VPN, HOST, sub_credentials={"tunnels": [tunnel(psk="topsecret" * 2000)]})
    assert errors[0]["path"] == ["subCredentials", "tunnels", 0, "fields", 2, "value"]


def test_required_container_needs_a_sub_credential() -> None:
    for subs in (None, {}, {"sites": []}):
        errors = create_errors(REQUIRED_MULTI, [], sub_credentials=subs)
        assert errors == [{"path": ["subCredentials", "sites"], "message": "Sites needs at least one sub-credential"}]


def test_nested_sub_credentials() -> None:
    subs = {
        "sites": [
            {
                "name": "HQ",
                "fields": [{"fieldId": "label", "value": "Head office"}],
                "subCredentials": {"devices": [{"name": "Door", "fields": [{"fieldId": "pin", "value": "1234"}]}]},
            }
        ]
    }
    result = validate_credential_fields(REQUIRED_MULTI, [], sub_credentials=subs)
    (site,) = result.sub_credentials
    assert site.field_id == "sites" and site.name == "HQ"
    (device,) = site.sub_credentials
    assert device == SubCredentialInput("devices", "Door", (FieldValue("pin", "password", True, "1234"),))

    subs["sites"][0]["subCredentials"]["devices"][0]["fields"][0]["value"] = ""  # type: ignore[index]
    subs["sites"][0]["subCredentials"]["bogus"] = []  # type: ignore[index]
    errors = create_errors(REQUIRED_MULTI, [], sub_credentials=subs)
    assert paths(errors) == [
        ["subCredentials", "sites", 0, "subCredentials", "devices", 0, "fields", 0, "value"],
        ["subCredentials", "sites", 0, "subCredentials", "bogus"],
    ]


def test_inline_sub_credential_budget() -> None:
    per_field = MAX_SUB_CREDENTIALS
    many_sites = [
        {
            "name": f"S{i}",
            "fields": [{"fieldId": "label", "value": "x"}],
            "subCredentials": {"devices": [{"name": "D", "fields": [{"fieldId": "pin", "value": "1"}]}] * 2},
        }
        for i in range(per_field)
    ]  # 100 sites + 200 devices > 200
    errors = create_errors(REQUIRED_MULTI, [], sub_credentials={"sites": many_sites})
    assert [e["message"] for e in errors] == [f"At most {MAX_INLINE_SUB_CREDENTIALS} sub-credentials per request"]
    assert errors[0]["path"] == ["subCredentials", "sites", 50, "subCredentials", "devices"]


def test_custom_paths() -> None:
    errors = create_errors(
        VPN,
        [{"fieldId": "hostname", "value": ""}],
        sub_credentials={"x": []},
        path=("body", "fields"),
        sub_credentials_path=("body", "subCredentials"),
    )
    assert paths(errors) == [["body", "fields", 0, "value"], ["body", "subCredentials", "x"]]


# --- partial updates (PATCH, PUT .../fields) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "values", "cleared"),
    [
        ([], [], []),
        ([{"fieldId": "region", "value": "eu-west-1"}], [("region", "eu-west-1")], []),
        (
            [{"fieldId": "secretAccessKey", "value": "newSecretKeyValue123"}],
            [("secretAccessKey", "newSecretKeyValue123")],
            [],
        ),
        ([{"fieldId": "secretAccessKey", "value": None}], [], []),
        ([{"fieldId": "secretAccessKey"}], [], []),
        ([{"fieldId": "region", "value": ""}], [], ["region"]),
        ([{"fieldId": "gateway", "value": "  "}, {"fieldId": "region", "value": ""}], [], ["region", "gateway"]),
        (
            [{"fieldId": "gateway", "value": "::1"}, {"fieldId": "accessKeyId", "value": " AKIANEW "}],
            [("accessKeyId", "AKIANEW"), ("gateway", "::1")],
            [],
        ),
        ([{"fieldId": "tunnels", "value": None}], [], []),
        ([{"fieldId": "tunnels", "value": []}], [], []),
    ],
)
def test_partial_updates(fields: list[dict[str, Any]], values: list[tuple[str, str]], cleared: list[str]) -> None:
    definitions = AWS if all(f["fieldId"] != "tunnels" for f in fields) else VPN
    result = validate_field_updates(definitions, fields)
    assert [(v.field_id, v.value) for v in result.values] == values
    assert list(result.cleared) == cleared
    assert result.is_empty is (not values and not cleared)


def test_partial_update_keeps_secure_flag() -> None:
    result = validate_field_updates(AWS, [{"fieldId": "secretAccessKey", "value": "newSecretKeyValue123"}])
    assert result == FieldUpdates(values=(FieldValue("secretAccessKey", "password", True, "newSecretKeyValue123"),))
    assert "newSecretKeyValue123" not in repr(result)


def test_sending_back_a_masked_response_changes_nothing() -> None:
    response_fields = [
        {
            "id": "accessKeyId",
            "name": "Access Key ID",
            "secure": False,
            "required": True,
            "valueType": "plain_text",
            "value": "AKIAIOSFODNN7EXAMPLE",
        },
        {
            "id": "secretAccessKey",
            "name": "Secret Access Key",
            "secure": True,
            "required": True,
            "valueType": "password",
            "value": None,
        },
    ]
    result = validate_field_updates(AWS, response_fields)
    assert [v.field_id for v in result.values] == ["accessKeyId"]
    assert result.cleared == ()


@pytest.mark.parametrize(
    ("definitions", "fields", "expected"),
    [
        (AWS, None, [(["fields"], "Must be an array")]),
        (AWS, [{"fieldId": "secretAccessKey", "value": ""}], [(["fields", 0, "value"], "cannot be emptied")]),
        (AWS, [{"fieldId": "accessKeyId", "value": " "}], [(["fields", 0, "value"], "cannot be emptied")]),
        (AWS, [{"fieldId": "nope", "value": "x"}], [(["fields", 0, "fieldId"], "Unknown field")]),
        (
            AWS,
            [{"fieldId": "region", "value": "a"}, {"fieldId": "region", "value": "b"}],
            [(["fields", 1, "fieldId"], "Duplicate field")],
        ),
        (AWS, [{"fieldId": "gateway", "value": "1.2.3"}], [(["fields", 0, "value"], "valid IPv4 or IPv6")]),
        (AWS, [{"fieldId": "secretAccessKey", "value": 12}], [(["fields", 0, "value"], "Must be a string")]),
        (AWS, [{"fieldId": "recovery", "value": "topsecret"}], [(["fields", 0, "value"], "eight groups")]),
        (VPN, [{"fieldId": "tunnels", "value": ["ckxForeign"]}], [(["fields", 0, "value"], "sub-credentials routes")]),
        (VPN, [{"fieldId": "tunnels", "value": "ckxForeign"}], [(["fields", 0, "value"], "sub-credentials routes")]),
    ],
)
def test_partial_update_errors(
    definitions: list[FieldDefinition], fields: object, expected: list[tuple[list[Any], str]]
) -> None:
    errors = update_errors(definitions, fields)
    assert paths(errors) == [path for path, _ in expected]
    for error, (_, message) in zip(errors, expected, strict=True):
        assert message in error["message"]


def test_partial_update_does_not_require_absent_required_fields() -> None:
    result = validate_field_updates(AWS, [{"fieldId": "region", "value": "x"}])
    assert [v.field_id for v in result.values] == ["region"]


def test_partial_update_works_on_sub_credential_definitions() -> None:
    (_, tunnels) = VPN
    result = validate_field_updates(tunnels.subFields or [], [{"fieldId": "psk", "value": "topsecret"}])
    assert result.values == (FieldValue("psk", "password", True, "topsecret"),)


# --- POST .../sub-credentials -------------------------------------------------------------------------


def test_add_sub_credential_spec_example() -> None:
    body = {
        "fieldId": "tunnels",
        "name": "Tunnel 2",
        "fields": [{"fieldId": "server", "value": "vpn2.example.com"}, {"fieldId": "port", "value": "1194"}],
    }
    assert validate_sub_credential(VPN, body) == SubCredentialInput(
        field_id="tunnels",
        name="Tunnel 2",
        fields=(
            FieldValue("server", "plain_text", False, "vpn2.example.com"),
            FieldValue("port", "plain_text", False, "1194"),
        ),
    )


def test_add_nested_sub_credential() -> None:
    body = {
        "fieldId": "sites",
        "name": "Branch",
        "fields": [{"fieldId": "label", "value": "B"}],
        "subCredentials": {"devices": [{"name": "Safe", "fields": [{"fieldId": "pin", "value": "0000"}]}]},
    }
    result = validate_sub_credential(REQUIRED_MULTI, body)
    assert result.sub_credentials[0].fields == (FieldValue("pin", "password", True, "0000"),)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([], [([], "Must be an object")]),
        ({"name": "T", "fields": []}, [(["fieldId"], "Field is required")]),
        ({"fieldId": 1, "name": "T", "fields": []}, [(["fieldId"], "Must be a string")]),
        ({"fieldId": "nope", "name": "T", "fields": []}, [(["fieldId"], "Unknown field")]),
        ({"fieldId": "hostname", "name": "T", "fields": []}, [(["fieldId"], "Not a multi_credential field")]),
        ({"fieldId": "tunnels", "fields": [{"fieldId": "server", "value": "s"}]}, [(["name"], "Field is required")]),
        (
            {"fieldId": "tunnels", "name": "T", "fields": [{"fieldId": "server", "value": ""}]},
            [(["fields", 0, "value"], "Field is required")],
        ),
        ({"fieldId": "tunnels", "name": "T", "fields": []}, [(["fields"], "Server (server) is required")]),
        (
            {"fieldId": "tunnels", "name": "", "fields": [{"fieldId": "psk", "value": "topsecret" * 2000}]},
            [
                (["name"], "Must not be empty"),
                (["fields"], "Server (server) is required"),
                (["fields", 0, "value"], "at most"),
            ],
        ),
    ],
)
def test_add_sub_credential_errors(body: object, expected: list[tuple[list[Any], str]]) -> None:
    with pytest.raises(CredentialFieldsError) as info:
        validate_sub_credential(VPN, body)
    errors = info.value.errors
    _assert_no_secret(info.value)
    assert sorted(map(repr, paths(errors))) == sorted(repr(path) for path, _ in expected)
    for path, message in expected:
        assert any(e["path"] == path and message in e["message"] for e in errors), (path, message)


# --- responses ----------------------------------------------------------------------------------------


def test_present_fields_spec_shape_masks_secure_values() -> None:
    stored = {
        "accessKeyId": "AKIAIOSFODNN7EXAMPLE",
        "secretAccessKey": "v1:k1:AAAAAAAAAAAAAAAA:" + "B" * 40,
        "recovery": BITLOCKER,
        "removedFromType": "stale",
    }
    presented = present_fields(AWS, stored)
    assert presented[:2] == [
        {
            "id": "accessKeyId",
            "name": "Access Key ID",
            "secure": False,
            "required": True,
            "valueType": "plain_text",
            "value": "AKIAIOSFODNN7EXAMPLE",
        },
        {
            "id": "secretAccessKey",
            "name": "Secret Access Key",
            "secure": True,
            "required": True,
            "valueType": "password",
            "value": None,
        },
    ]
    assert [(f["id"], f["value"]) for f in presented[2:]] == [("region", None), ("gateway", None), ("recovery", None)]
    assert "stale" not in repr(presented) and BITLOCKER not in repr(presented)


def test_present_fields_compact_sub_credential_shape() -> None:
    (_, tunnels) = VPN
    presented = present_fields(tunnels.subFields or [], {"server": "vpn1.example.com", "psk": "token"}, compact=True)
    assert presented == [
        {"id": "server", "value": "vpn1.example.com", "secure": False},
        {"id": "port", "value": None, "secure": False},
        {"id": "psk", "value": None, "secure": True},
    ]


def test_present_fields_container_value_is_id_list() -> None:
    presented = present_fields(VPN, {"hostname": "h", "tunnels": ["ckx1", "ckx2"]})
    assert presented[1]["valueType"] == "multi_credential"
    assert presented[1]["value"] == ["ckx1", "ckx2"]


def test_a_multi_credential_field_may_repeat_its_current_sub_credential_ids() -> None:
    children = {"tunnels": ["ckxA", "ckxB"]}
    for same in (["ckxA", "ckxB"], ["ckxB", "ckxA"], None):
        result = validate_field_updates(VPN, [{"fieldId": "tunnels", "value": same}], children=children)
        assert result.values == () and result.cleared == ()
    for other in ([], ["ckxA"], ["ckxA", "ckxB", "ckxC"], ["ckxA", "ckxA"], ["ckxA", 1]):
        with pytest.raises(CredentialFieldsError) as info:
            validate_field_updates(VPN, [{"fieldId": "tunnels", "value": other}], children=children)
        assert [e["path"] for e in info.value.errors] == [["fields", 0, "value"]], other
