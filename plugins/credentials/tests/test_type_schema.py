"""Credential type field definitions: the spec's shapes, validation errors with paths, limits, diff."""

from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest
from optima_credentials.type_schema import (
    MAX_FIELD_DEPTH,
    MAX_FIELDS_PER_LEVEL,
    MAX_TOTAL_FIELDS,
    FieldChanges,
    FieldDefinition,
    TypeSchemaError,
    diff_fields,
    fields_to_builtins,
    validate_fields,
)
from optima_credentials.value_types import ValidationFailed

GITHUB = [
    {"id": "username", "name": "Username", "required": True, "secure": False, "valueType": "plain_text"},
    {
        "id": "personalAccessToken",
        "name": "Personal Access Token",
        "required": True,
        "secure": True,
        "valueType": "password",
    },
]

VPN = [
    {"id": "hostname", "name": "Hostname", "required": True, "secure": False, "valueType": "plain_text"},
    {
        "id": "tunnels",
        "name": "Tunnels",
        "required": False,
        "secure": False,
        "valueType": "multi_credential",
        "subFields": [
            {"id": "server", "name": "Server", "required": True, "secure": False, "valueType": "plain_text"},
            {"id": "psk", "name": "Pre-Shared Key", "required": True, "secure": True, "valueType": "password"},
        ],
    },
]


def field(field_id: str = "f", value_type: str = "plain_text", **extra: Any) -> dict[str, Any]:
    return {"id": field_id, "name": field_id.title(), "valueType": value_type, **extra}


def multi(field_id: str, sub_fields: list[dict[str, Any]] | None, **extra: Any) -> dict[str, Any]:
    out = field(field_id, "multi_credential", **extra)
    if sub_fields is not None:
        out["subFields"] = sub_fields
    return out


def errors_of(fields: object, **kwargs: Any) -> list[dict[str, Any]]:
    with pytest.raises(TypeSchemaError) as info:
        validate_fields(fields, **kwargs)
    assert isinstance(info.value, ValidationFailed)
    return info.value.errors  # type: ignore[return-value]


@pytest.mark.parametrize("spec_fields", [GITHUB, VPN], ids=["github", "vpn"])
def test_spec_examples_round_trip(spec_fields: list[dict[str, Any]]) -> None:
    original = copy.deepcopy(spec_fields)
    result = validate_fields(spec_fields)
    assert all(isinstance(f, FieldDefinition) for f in result)
    assert fields_to_builtins(result) == original
    assert spec_fields == original  # input untouched
    # Plain msgspec encoding writes subFields: null on non-container fields; to_builtins leaves it out.
    assert msgspec.to_builtins(result)[0] == {**original[0], "subFields": None}


def test_vpn_structure() -> None:
    hostname, tunnels = validate_fields(VPN)
    assert not hostname.is_container and hostname.subFields is None
    assert tunnels.is_container
    assert [sub.id for sub in tunnels.subFields or []] == ["server", "psk"]
    assert tunnels.subFields is not None and tunnels.subFields[1].secure is True


def test_validated_definitions_are_accepted_again() -> None:
    once = validate_fields(VPN)
    assert validate_fields(once) == once


def test_msgspec_json_names() -> None:
    definition = msgspec.json.decode(
        b'{"id":"a","name":"A","valueType":"password","secure":true,"required":true}', type=FieldDefinition
    )
    assert definition.valueType == "password"
    assert msgspec.json.encode(definition) == (
        b'{"id":"a","name":"A","required":true,"secure":true,"valueType":"password","subFields":null}'
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (field("a"), {"required": False, "secure": False, "subFields": None}),
        (field("a", "password"), {"required": False, "secure": True}),
        (field("a", "generic_secret"), {"secure": True}),
        (field("a", "bitlocker_key"), {"secure": False}),
        (field("a", "bitlocker_key", secure=True), {"secure": True}),
        (multi("a", None), {"secure": False, "subFields": []}),
        (multi("a", []), {"subFields": []}),
        (field("a", subFields=None), {"subFields": None}),
        ({"id": "a", "name": "  Padded Name \t", "valueType": "plain_text"}, {"name": "Padded Name"}),
        (field("a", required=True), {"required": True}),
    ],
)
def test_defaults_and_normalisation(raw: dict[str, Any], expected: dict[str, Any]) -> None:
    (result,) = validate_fields([raw])
    for key, value in expected.items():
        assert getattr(result, key) == value, key


def test_empty_list_is_allowed() -> None:
    assert validate_fields([]) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        (None, [(["fields"], "Must be an array")]),
        ({"id": "a"}, [(["fields"], "Must be an array")]),
        ("fields", [(["fields"], "Must be an array")]),
        ([1], [(["fields", 0], "Must be an object")]),
        ([{"name": "A", "valueType": "plain_text"}], [(["fields", 0, "id"], "Field is required")]),
        ([{**field("x"), "id": ""}], [(["fields", 0, "id"], "Must be 1-64 characters")]),
        ([field("has space")], [(["fields", 0, "id"], "Must be 1-64 characters")]),
        ([field("x" * 65)], [(["fields", 0, "id"], "Must be 1-64 characters")]),
        ([field("dot.ted")], [(["fields", 0, "id"], "Must be 1-64 characters")]),
        ([{**field("a"), "id": 5}], [(["fields", 0, "id"], "Must be a string")]),
        ([field("a"), field("b"), field("a")], [(["fields", 2, "id"], "Duplicate field id")]),
        ([field("apiKey"), field("APIKEY")], [(["fields", 1, "id"], "Duplicate field id")]),
        ([{"id": "a", "valueType": "plain_text"}], [(["fields", 0, "name"], "Field is required")]),
        ([{**field("a"), "name": "   "}], [(["fields", 0, "name"], "Must not be empty")]),
        ([{**field("a"), "name": 7}], [(["fields", 0, "name"], "Must be a string")]),
        ([{**field("a"), "name": "n" * 129}], [(["fields", 0, "name"], "at most 128")]),
        ([{**field("a"), "name": "bad\x00name"}], [(["fields", 0, "name"], "control characters")]),
        ([{**field("a"), "name": "two\nlines"}], [(["fields", 0, "name"], "control characters")]),
        ([{"id": "a", "name": "A"}], [(["fields", 0, "valueType"], "Field is required")]),
        ([field("a", "credit_card")], [(["fields", 0, "valueType"], "Unknown value type")]),
        ([field("a", "Password")], [(["fields", 0, "valueType"], "Unknown value type")]),
        ([field("a", None)], [(["fields", 0, "valueType"], "Must be a string")]),
        ([field("a", required="yes")], [(["fields", 0, "required"], "Must be a boolean")]),
        ([field("a", required=1)], [(["fields", 0, "required"], "Must be a boolean")]),
        ([field("a", secure=None)], [(["fields", 0, "secure"], "Must be a boolean")]),
        ([field("a", secrue=True)], [(["fields", 0, "secrue"], "Unknown property")]),
        ([field("a", value="x")], [(["fields", 0, "value"], "Unknown property")]),
        ([field("a", "password", secure=False)], [(["fields", 0, "secure"], "password fields must be secure")]),
        (
            [field("a", "generic_secret", secure=False)],
            [(["fields", 0, "secure"], "generic_secret fields must be secure")],
        ),
        ([multi("a", [], secure=True)], [(["fields", 0, "secure"], "cannot be secure")]),
        ([field("a", subFields=[field("b")])], [(["fields", 0, "subFields"], "Only multi_credential")]),
        ([multi("a", "nope")], [(["fields", 0, "subFields"], "Must be an array")]),  # type: ignore[arg-type]
        ([multi("t", [field("s", "madeup")])], [(["fields", 0, "subFields", 0, "valueType"], "Unknown value type")]),
        (
            [multi("t", [field("s"), field("S")])],
            [(["fields", 0, "subFields", 1, "id"], "Duplicate field id")],
        ),
        (
            [multi("t", [field("p", "password", secure=False)])],
            [(["fields", 0, "subFields", 0, "secure"], "must be secure")],
        ),
    ],
)
def test_errors_with_paths(fields: object, expected: list[tuple[list[Any], str]]) -> None:
    errors = errors_of(fields)
    assert [e["path"] for e in errors] == [path for path, _ in expected]
    for error, (_, message) in zip(errors, expected, strict=True):
        assert message in error["message"]


def test_every_error_is_reported() -> None:
    errors = errors_of(
        [
            {"id": "bad id", "name": "", "valueType": "nope", "extra": 1},
            field("ok"),
            field("ok"),
            multi("t", [{"id": "s"}]),
        ]
    )
    paths = [e["path"] for e in errors]
    assert paths == [
        ["fields", 0, "extra"],
        ["fields", 0, "id"],
        ["fields", 0, "name"],
        ["fields", 0, "valueType"],
        ["fields", 2, "id"],
        ["fields", 3, "subFields", 0, "name"],
        ["fields", 3, "subFields", 0, "valueType"],
    ]


def test_custom_path_prefix() -> None:
    errors = errors_of([field("a b")], path=("body", "fields"))
    assert errors == [{"path": ["body", "fields", 0, "id"], "message": errors[0]["message"]}]


def test_same_id_on_different_levels_is_allowed() -> None:
    result = validate_fields([multi("tunnels", [field("tunnels"), field("server")]), field("server")])
    assert [f.id for f in result] == ["tunnels", "server"]


def test_nesting_depth_limit() -> None:
    assert MAX_FIELD_DEPTH == 3
    level3 = [field("leaf")]
    ok = [multi("l1", [multi("l2", level3)])]
    validate_fields(ok)

    too_deep = [multi("l1", [multi("l2", [multi("l3", [field("leaf")])])])]
    assert errors_of(too_deep) == [
        {
            "path": ["fields", 0, "subFields", 0, "subFields", 0, "valueType"],
            "message": "multi_credential fields cannot be nested more than 3 levels deep",
        }
    ]
    # Even without subFields, a container on the last level would hold a fourth level.
    assert [e["path"] for e in errors_of([multi("l1", [multi("l2", [multi("l3", None)])])])] == [
        ["fields", 0, "subFields", 0, "subFields", 0, "valueType"]
    ]


def test_fields_per_level_limit() -> None:
    at_limit = [field(f"f{i}") for i in range(MAX_FIELDS_PER_LEVEL)]
    assert len(validate_fields(at_limit)) == MAX_FIELDS_PER_LEVEL
    over = [*at_limit, field("extra")]
    assert errors_of(over) == [{"path": ["fields"], "message": "Must have at most 50 fields"}]
    nested_over = [multi("t", over)]
    assert [e["path"] for e in errors_of(nested_over)] == [["fields", 0, "subFields"]]


def test_total_fields_limit() -> None:
    subs = [field(f"s{i}") for i in range(MAX_FIELDS_PER_LEVEL)]
    containers = [multi(f"m{i}", subs) for i in range(3)]
    assert len(validate_fields([*containers, field("last")])) == 4  # 4 + 150 = 154 fields
    four = [multi(f"m{i}", subs) for i in range(4)]  # 4 + 200 = 204 fields
    errors = errors_of(four)
    assert len(errors) == 1
    assert errors[0]["message"] == f"A credential type may have at most {MAX_TOTAL_FIELDS} fields"
    assert errors[0]["path"] == ["fields", 3, "subFields", 46]
    # Nothing past the limit is examined, so invalid fields after it add no errors.
    assert len(errors_of([*four, {"bad": 1}, multi("m9", [{"worse": 2}])])) == 1


def test_field_definition_objects_are_validated_too() -> None:
    unsafe = FieldDefinition(id="pw", name="Password", valueType="password")  # secure defaults to False
    errors = errors_of([unsafe])
    assert errors == [{"path": ["fields", 0, "secure"], "message": "password fields must be secure"}]


def test_field_definition_is_immutable() -> None:
    (definition,) = validate_fields([field("a")])
    with pytest.raises(AttributeError):
        definition.secure = True  # type: ignore[misc]


# --- diff ---------------------------------------------------------------------------------------------


def defs(*raw: dict[str, Any]) -> list[FieldDefinition]:
    return validate_fields(list(raw))


def test_diff_identical_is_empty() -> None:
    changes = diff_fields(validate_fields(VPN), validate_fields(copy.deepcopy(VPN)))
    assert changes == FieldChanges()
    assert changes.is_empty


def test_diff_added_removed_changed() -> None:
    old = defs(field("a"), field("b", "password"), field("c"), field("d"))
    new = defs(
        field("e"),
        {**field("a"), "name": "Renamed"},
        field("b", "password", required=True),
        field("c", "ip_address"),
    )
    changes = diff_fields(old, new)
    assert changes.added == ("e",)
    assert changes.removed == ("d",)
    assert [c.id for c in changes.changed] == ["a", "b", "c"]
    a, b, c = changes.changed
    assert (a.name_changed, a.required_changed, a.secure_changed, a.value_type_changed) == (True, False, False, False)
    assert (b.name_changed, b.required_changed, b.became_required, b.value_type_changed) == (False, True, True, False)
    assert (c.value_type_changed, c.secure_changed) == (True, False)
    assert c.old.valueType == "plain_text" and c.new.valueType == "ip_address"
    assert changes.reordered is False
    assert not changes.is_empty


def test_diff_secure_flag_change() -> None:
    changes = diff_fields(defs(field("k", "license_key")), defs(field("k", "license_key", secure=True)))
    (change,) = changes.changed
    assert change.secure_changed and not change.value_type_changed and not change.became_required
    relaxed = diff_fields(defs(field("k", required=True)), defs(field("k")))
    assert relaxed.changed[0].required_changed and not relaxed.changed[0].became_required


def test_diff_reordered_only() -> None:
    changes = diff_fields(defs(field("a"), field("b")), defs(field("b"), field("a")))
    assert changes == FieldChanges(reordered=True)
    assert not changes.is_empty
    unaffected = diff_fields(defs(field("a"), field("x"), field("b")), defs(field("a"), field("b")))
    assert unaffected.removed == ("x",) and unaffected.reordered is False


def test_diff_nested_sub_fields() -> None:
    new_vpn = copy.deepcopy(VPN)
    subs = new_vpn[1]["subFields"]
    subs[1]["valueType"] = "generic_secret"
    subs.append(field("port"))
    subs.pop(0)
    changes = diff_fields(validate_fields(VPN), validate_fields(new_vpn))
    assert changes.added == changes.removed == ()
    (tunnels,) = changes.changed
    assert tunnels.id == "tunnels"
    assert not (tunnels.name_changed or tunnels.secure_changed or tunnels.value_type_changed)
    assert tunnels.sub_fields is not None
    assert tunnels.sub_fields.added == ("port",)
    assert tunnels.sub_fields.removed == ("server",)
    assert [(c.id, c.value_type_changed) for c in tunnels.sub_fields.changed] == [("psk", True)]


def test_diff_container_to_plain() -> None:
    changes = diff_fields(defs(multi("t", [field("s")])), defs(field("t")))
    (change,) = changes.changed
    assert change.value_type_changed and change.sub_fields is None
