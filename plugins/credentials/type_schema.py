"""A credential type's field definitions: their shape, their validation and the diff of two versions.

A credential type's ``fields`` is an array of definitions, exactly as the API shows them::

    {"id": "secretAccessKey", "name": "Secret Access Key", "required": true, "secure": true,
     "valueType": "password"}
    {"id": "tunnels", "name": "Tunnels", "required": false, "secure": false,
     "valueType": "multi_credential", "subFields": [ ...definitions of each sub-credential's fields... ]}

Rules :func:`validate_fields` enforces (every problem is reported, not just the first):

- ``fields`` is an array of at most :data:`MAX_FIELDS_PER_LEVEL` (50) objects per level and at most
  :data:`MAX_TOTAL_FIELDS` (200) in the whole tree; an empty array is allowed.
- Only the six properties above are accepted; an unknown one (a typo such as ``secrue``) is an error
  rather than silently dropped, because a dropped ``secure`` would store a secret in plain text.
- ``id``: 1-64 characters of ``A-Z a-z 0-9 _ -``, unique within its level, compared case-insensitively
  (ids appear in URLs such as ``/secure-values/:fieldId``). Sub-fields of different levels may reuse ids.
- ``name``: non-empty after stripping, at most :data:`MAX_FIELD_NAME_LENGTH` (128) characters, no
  control characters; stored stripped.
- ``required``: a boolean, ``false`` when omitted.
- ``valueType``: one of :func:`~optima_credentials.value_types.value_type_names`.
- ``secure``: a boolean. When omitted it is ``true`` for ``password`` and ``generic_secret`` and
  ``false`` otherwise. ``password`` and ``generic_secret`` fields must be secure; ``multi_credential``
  fields must not be (they hold sub-credential ids; mark their sub-fields secure instead).
- ``subFields``: only on ``multi_credential`` fields (``null`` is tolerated elsewhere and dropped). It
  is optional there, as the spec says; a ``multi_credential`` field without it gets ``[]``, meaning its
  sub-credentials carry only a name. Sub-fields follow these same rules recursively. The top-level
  array is level 1; field arrays nest at most :data:`MAX_FIELD_DEPTH` (3) levels, so a
  ``multi_credential`` field on level 3 is refused.

Errors come in the spec's validation shape, paths starting at the request body, e.g.
``{"path": ["fields", 1, "subFields", 0, "valueType"], "message": "Unknown value type"}``, raised as
:class:`TypeSchemaError` (a :class:`~optima_credentials.value_types.ValidationFailed`).

:func:`diff_fields` compares two validated versions so the service can refuse, unless told
explicitly, to remove a field that credentials still hold, and knows which stored values must be
re-encrypted (``secure`` changed) or re-validated (``valueType`` or ``required`` changed).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import msgspec

from .value_types import (
    MULTI_CREDENTIAL,
    VALUE_TYPES,
    ErrorDetail,
    ValidationFailed,
    value_type_names,
)

__all__ = [
    "FIELD_ID_PATTERN",
    "MAX_FIELDS_PER_LEVEL",
    "MAX_FIELD_DEPTH",
    "MAX_FIELD_NAME_LENGTH",
    "MAX_TOTAL_FIELDS",
    "FieldChange",
    "FieldChanges",
    "FieldDefinition",
    "TypeSchemaError",
    "diff_fields",
    "fields_to_builtins",
    "validate_fields",
]

FIELD_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,64}")
MAX_FIELD_DEPTH: Final = 3
MAX_FIELDS_PER_LEVEL: Final = 50
MAX_TOTAL_FIELDS: Final = 200
MAX_FIELD_NAME_LENGTH: Final = 128

_PROPERTIES: Final = frozenset({"id", "name", "required", "secure", "valueType", "subFields"})

Path = list[str | int]


class FieldDefinition(msgspec.Struct, kw_only=True, frozen=True):
    """One field of a credential type; attribute names are the spec's JSON names.

    Build validated instances with :func:`validate_fields`; :meth:`to_builtins` gives the spec's JSON
    object (``subFields`` present only on ``multi_credential`` fields).
    """

    id: str
    name: str
    required: bool = False
    secure: bool = False
    valueType: str
    subFields: list[FieldDefinition] | None = None

    @property
    def is_container(self) -> bool:
        """True for a ``multi_credential`` field, whose value is a list of sub-credential ids."""
        return self.valueType == MULTI_CREDENTIAL

    def to_builtins(self) -> dict[str, Any]:
        """This definition as the spec's JSON object."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "required": self.required,
            "secure": self.secure,
            "valueType": self.valueType,
        }
        if self.subFields is not None:
            out["subFields"] = [sub.to_builtins() for sub in self.subFields]
        return out


class TypeSchemaError(ValidationFailed):
    """A credential type's field definitions are invalid; ``errors`` is the spec's validation list."""


def fields_to_builtins(fields: Sequence[FieldDefinition]) -> list[dict[str, Any]]:
    """Field definitions as the spec's JSON array, for storage and responses."""
    return [field.to_builtins() for field in fields]


def validate_fields(fields: object, *, path: Sequence[str | int] = ("fields",)) -> list[FieldDefinition]:
    """Validate a credential type's ``fields`` (decoded JSON or :class:`FieldDefinition` objects).

    Returns normalised definitions (names stripped, defaults filled, ``subFields`` ``[]`` on
    ``multi_credential`` and ``None`` elsewhere). Raises :class:`TypeSchemaError` listing every
    problem; ``path`` is the location of ``fields`` in the request body.
    """
    checker = _Checker()
    result = checker.level(fields, list(path), depth=1)
    if checker.errors:
        raise TypeSchemaError(checker.errors)
    assert result is not None
    return result


class _Checker:
    """Walks a field tree once, collecting every error and counting fields across levels."""

    def __init__(self) -> None:
        self.errors: list[ErrorDetail] = []
        self.total = 0
        self.total_reported = False

    def error(self, path: Path, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def level(self, items: object, path: Path, *, depth: int) -> list[FieldDefinition] | None:
        if not isinstance(items, list | tuple):
            self.error(path, "Must be an array")
            return None
        if len(items) > MAX_FIELDS_PER_LEVEL:
            self.error(path, f"Must have at most {MAX_FIELDS_PER_LEVEL} fields")
            return None
        seen: set[str] = set()
        out: list[FieldDefinition] = []
        for index, item in enumerate(items):
            self.total += 1
            if self.total > MAX_TOTAL_FIELDS:
                # Reported once, where the limit is crossed; nothing after it is examined.
                if not self.total_reported:
                    self.total_reported = True
                    self.error([*path, index], f"A credential type may have at most {MAX_TOTAL_FIELDS} fields")
                return None
            field = self.field(item, [*path, index], depth=depth, seen=seen)
            if field is not None:
                out.append(field)
        return out

    def field(self, item: object, path: Path, *, depth: int, seen: set[str]) -> FieldDefinition | None:
        if isinstance(item, FieldDefinition):
            item = item.to_builtins()
        if not isinstance(item, dict):
            self.error(path, "Must be an object")
            return None
        before = len(self.errors)
        for key in item:
            if key not in _PROPERTIES:
                self.error([*path, str(key)], "Unknown property")

        field_id = self.field_id(item, path, seen)
        name = self.name(item, path)
        required = self.boolean(item, "required", path, default=False)
        value_type = self.value_type(item, path)
        vt = VALUE_TYPES.get(value_type) if value_type is not None else None

        secure = self.boolean(item, "secure", path, default=vt.always_secure if vt else False)
        if vt is not None and secure is not None:
            if vt.always_secure and not secure:
                self.error([*path, "secure"], f"{vt.name} fields must be secure")
            if vt.container and secure:
                self.error(
                    [*path, "secure"],
                    "multi_credential fields cannot be secure; mark their sub-fields secure instead",
                )

        sub_fields: list[FieldDefinition] | None = None
        raw_subs = item.get("subFields")
        if vt is not None and vt.container:
            if depth >= MAX_FIELD_DEPTH:
                self.error(
                    [*path, "valueType"],
                    f"multi_credential fields cannot be nested more than {MAX_FIELD_DEPTH} levels deep",
                )
            elif raw_subs is None:
                sub_fields = []
            else:
                sub_fields = self.level(raw_subs, [*path, "subFields"], depth=depth + 1)
        elif raw_subs is not None and vt is not None:
            self.error([*path, "subFields"], "Only multi_credential fields may have subFields")

        if len(self.errors) > before:
            return None
        assert field_id is not None and name is not None and value_type is not None
        assert required is not None and secure is not None
        return FieldDefinition(
            id=field_id,
            name=name,
            required=required,
            secure=secure,
            valueType=value_type,
            subFields=sub_fields,
        )

    def field_id(self, item: dict[Any, Any], path: Path, seen: set[str]) -> str | None:
        if "id" not in item:
            self.error([*path, "id"], "Field is required")
            return None
        value = item["id"]
        if not isinstance(value, str):
            self.error([*path, "id"], "Must be a string")
            return None
        if not FIELD_ID_PATTERN.fullmatch(value):
            self.error([*path, "id"], "Must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'")
            return None
        folded = value.casefold()
        if folded in seen:
            self.error([*path, "id"], "Duplicate field id (ids are compared case-insensitively)")
            return None
        seen.add(folded)
        return value

    def name(self, item: dict[Any, Any], path: Path) -> str | None:
        if "name" not in item:
            self.error([*path, "name"], "Field is required")
            return None
        value = item["name"]
        if not isinstance(value, str):
            self.error([*path, "name"], "Must be a string")
            return None
        value = value.strip()
        if not value:
            self.error([*path, "name"], "Must not be empty")
            return None
        if len(value) > MAX_FIELD_NAME_LENGTH:
            self.error([*path, "name"], f"Must be at most {MAX_FIELD_NAME_LENGTH} characters")
            return None
        if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in value):
            self.error([*path, "name"], "Must not contain control characters")
            return None
        return value

    def boolean(self, item: dict[Any, Any], key: str, path: Path, *, default: bool) -> bool | None:
        value = item.get(key, default)
        if not isinstance(value, bool):
            self.error([*path, key], "Must be a boolean")
            return None
        return value

    def value_type(self, item: dict[Any, Any], path: Path) -> str | None:
        if "valueType" not in item:
            self.error([*path, "valueType"], "Field is required")
            return None
        value = item["valueType"]
        if not isinstance(value, str):
            self.error([*path, "valueType"], "Must be a string")
            return None
        if value not in VALUE_TYPES:
            known = ", ".join(value_type_names())
            self.error([*path, "valueType"], f"Unknown value type; expected one of {known}")
            return None
        return value


@dataclass(frozen=True, slots=True)
class FieldChange:
    """How one field present in both versions changed; ``sub_fields`` diffs a container's sub-fields."""

    id: str
    old: FieldDefinition
    new: FieldDefinition
    sub_fields: FieldChanges | None = None

    @property
    def name_changed(self) -> bool:
        """The display name differs."""
        return self.old.name != self.new.name

    @property
    def required_changed(self) -> bool:
        """The ``required`` flag differs."""
        return self.old.required != self.new.required

    @property
    def secure_changed(self) -> bool:
        """The ``secure`` flag differs: stored values must be encrypted or decrypted."""
        return self.old.secure != self.new.secure

    @property
    def value_type_changed(self) -> bool:
        """The ``valueType`` differs: stored values may no longer be valid."""
        return self.old.valueType != self.new.valueType

    @property
    def became_required(self) -> bool:
        """The field was optional and is now required: credentials without a value no longer validate."""
        return self.new.required and not self.old.required


@dataclass(frozen=True, slots=True)
class FieldChanges:
    """The difference between two versions of a field list, by field id, in the new (then old) order."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[FieldChange, ...] = ()
    reordered: bool = False

    @property
    def is_empty(self) -> bool:
        """Nothing differs at all, not even the order."""
        return not (self.added or self.removed or self.changed or self.reordered)


def diff_fields(old: Sequence[FieldDefinition], new: Sequence[FieldDefinition]) -> FieldChanges:
    """Compare two validated field lists by id (exact match), recursing into ``subFields``.

    A field whose id changed shows as removed plus added. ``reordered`` is true when the fields
    present in both lists appear in a different order.
    """
    old_by_id = {field.id: field for field in old}
    new_by_id = {field.id: field for field in new}
    added = tuple(field.id for field in new if field.id not in old_by_id)
    removed = tuple(field.id for field in old if field.id not in new_by_id)
    changed: list[FieldChange] = []
    for field in new:
        before = old_by_id.get(field.id)
        if before is None or before == field:
            continue
        sub_changes = None
        if before.is_container and field.is_container:
            sub_changes = diff_fields(before.subFields or [], field.subFields or [])
            if sub_changes.is_empty:
                sub_changes = None
        changed.append(FieldChange(id=field.id, old=before, new=field, sub_fields=sub_changes))
    common_old = [field.id for field in old if field.id in new_by_id]
    common_new = [field.id for field in new if field.id in old_by_id]
    return FieldChanges(added=added, removed=removed, changed=tuple(changed), reordered=common_old != common_new)
