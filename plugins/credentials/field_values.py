"""A credential's submitted field values, checked against its type's field definitions.

Submitted shape (create, ``PATCH`` and ``PUT .../fields`` bodies)
    ``fields`` is an array of ``{"fieldId": "<definition id>", "value": "<text>"}``. As the spec's create
    example shows, an entry may also carry a record ``id``; it is ignored when ``fieldId`` is present.
    Without ``fieldId``, ``id`` is taken as the field id, so the response shape
    (``{"id": "accessKeyId", "name": ..., "secure": ..., "value": ...}``) can be sent back. Other keys
    (``name``, ``secure``, ``required``, ``valueType``, ...) are ignored: whether a value is secure comes
    from the type's definition only, never from the client.

    ``subCredentials`` (create only) is an object keyed by ``multi_credential`` field id whose values
    are arrays of ``{"name": ..., "fields": [...], "subCredentials": {...}}``; ``fields`` is checked
    against that field's ``subFields`` and the optional nested ``subCredentials`` against the
    ``multi_credential`` sub-fields, recursively.

What a value means
    - ``null`` or no ``value`` key: no value given. On create it is the same as leaving the field out;
      on update the stored value is kept. This is what makes sending back a response safe: secure
      values come back masked as ``null``, and must not wipe the stored secrets.
    - ``""`` or whitespace only: empty. On create the field gets no value; on update an optional field
      is cleared. A required field cannot be left or made empty.
    - anything else: checked and normalised by the field's value type
      (:mod:`optima_credentials.value_types`).
    - ``multi_credential`` fields take no value from clients (only ``null`` or ``[]``): their value is
      the list of sub-credential ids the service maintains, filled from ``subCredentials`` on create
      and by the sub-credentials routes afterwards. Accepting ids from a client would let it attach
      another company's credentials. A required ``multi_credential`` field needs at least one inline
      sub-credential on create.

Checks: every entry an object naming a known field once; at most :data:`MAX_SUBMITTED_FIELDS` entries;
at most :data:`MAX_SUB_CREDENTIALS` inline sub-credentials per field and
:data:`MAX_INLINE_SUB_CREDENTIALS` in one request; sub-credential names non-empty (stripped) and at
most :data:`MAX_NAME_LENGTH` characters.

Responses
    :func:`present_fields` builds a credential's ``fields`` array the way the spec shows it, every
    definition with its stored value, secure values always ``null``.

Errors are collected and raised together as :class:`CredentialFieldsError` in the spec's validation
shape, with paths from the request body: ``["fields", 2, "value"]``, ``["fields", 0, "fieldId"]``,
``["subCredentials", "tunnels", 0, "fields", 1, "value"]``. A required field missing altogether is
reported at ``["fields"]`` (or ``["subCredentials", "<id>"]``) with a message naming it, since it has
no index. Messages never contain a submitted value or an unknown field id. The results'
``repr`` masks secure values, so they cannot leak through logs or test output.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from .type_schema import MAX_FIELDS_PER_LEVEL, FieldDefinition
from .value_types import (
    MAX_SUB_CREDENTIALS,
    ErrorDetail,
    FieldValueError,
    ValidationFailed,
    is_utf8_encodable,
    validate_value,
)

__all__ = [
    "MAX_INLINE_SUB_CREDENTIALS",
    "MAX_NAME_LENGTH",
    "MAX_SUBMITTED_FIELDS",
    "CredentialFields",
    "CredentialFieldsError",
    "FieldUpdates",
    "FieldValue",
    "SubCredentialInput",
    "present_fields",
    "validate_credential_fields",
    "validate_field_updates",
    "validate_sub_credential",
]

MAX_SUBMITTED_FIELDS: Final = MAX_FIELDS_PER_LEVEL
MAX_INLINE_SUB_CREDENTIALS: Final = 200
MAX_NAME_LENGTH: Final = 255

Path = list[str | int]


class CredentialFieldsError(ValidationFailed):
    """Submitted credential values are invalid; ``errors`` is the spec's validation list."""


@dataclass(frozen=True, slots=True, repr=False)
class FieldValue:
    """A checked, normalised value for one field; ``secure`` (from the definition) says to encrypt it."""

    field_id: str
    value_type: str
    secure: bool
    value: str

    def __repr__(self) -> str:
        shown = "'<secure>'" if self.secure else repr(self.value)
        return (
            f"FieldValue(field_id={self.field_id!r}, value_type={self.value_type!r}, "
            f"secure={self.secure!r}, value={shown})"
        )


@dataclass(frozen=True, slots=True)
class SubCredentialInput:
    """An inline sub-credential to create under the parent's ``multi_credential`` field ``field_id``."""

    field_id: str
    name: str
    fields: tuple[FieldValue, ...]
    sub_credentials: tuple[SubCredentialInput, ...] = ()


@dataclass(frozen=True, slots=True)
class CredentialFields:
    """The checked values of a new credential, in definition order, and its inline sub-credentials.

    ``fields`` holds only fields that have a value; ``multi_credential`` fields are never in it (the
    service sets them to the ids of the sub-credentials it creates).
    """

    fields: tuple[FieldValue, ...]
    sub_credentials: tuple[SubCredentialInput, ...] = ()


@dataclass(frozen=True, slots=True)
class FieldUpdates:
    """A partial update: ``values`` to set (definition order) and optional field ids to ``cleared``.

    Fields not mentioned, or sent with ``null``, keep their stored value.
    """

    values: tuple[FieldValue, ...] = ()
    cleared: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing would change."""
        return not (self.values or self.cleared)


def validate_credential_fields(
    definitions: Sequence[FieldDefinition],
    submitted: object,
    *,
    sub_credentials: object = None,
    path: Sequence[str | int] = ("fields",),
    sub_credentials_path: Sequence[str | int] = ("subCredentials",),
) -> CredentialFields:
    """Check a new credential's ``fields`` and ``subCredentials`` (decoded JSON) against its type.

    Raises :class:`CredentialFieldsError` listing every problem.
    """
    checker = _Checker()
    result = checker.create(definitions, submitted, sub_credentials, list(path), list(sub_credentials_path))
    checker.raise_if_errors()
    return result


def validate_field_updates(
    definitions: Sequence[FieldDefinition],
    submitted: object,
    *,
    path: Sequence[str | int] = ("fields",),
    children: Mapping[str, Sequence[str]] | None = None,
) -> FieldUpdates:
    """Check a partial update of a credential's ``fields`` (``PATCH`` or ``PUT .../fields``).

    Only the submitted fields change; ``null`` keeps a value, ``""`` clears an optional field, and a
    required field cannot be emptied. A ``multi_credential`` field cannot be changed here: its value
    may only be ``null`` or its current sub-credential ids (``children``, in any order), as a fetched
    credential lists them, and both mean "unchanged". Raises :class:`CredentialFieldsError` listing
    every problem.
    """
    checker = _Checker()
    path_list = list(path)
    entries = checker.entries(definitions, submitted, path_list) or {}
    values: list[FieldValue] = []
    cleared: list[str] = []
    for definition in definitions:
        if definition.id not in entries:
            continue
        index, raw = entries[definition.id]
        value_path = [*path_list, index, "value"]
        if definition.is_container:
            current = sorted((children or {}).get(definition.id, ()))
            if raw is not None and not (
                isinstance(raw, list) and all(isinstance(v, str) for v in raw) and sorted(raw) == current
            ):
                checker.error(
                    value_path,
                    "Sub-credentials are managed through the sub-credentials routes; "
                    "send null or the field's current sub-credential ids to keep them",
                )
            continue
        if raw is None:
            continue
        if isinstance(raw, str) and not raw.strip():
            if definition.required:
                checker.error(value_path, "A required field cannot be emptied")
            else:
                cleared.append(definition.id)
            continue
        value = checker.value(definition, raw, value_path)
        if value is not None:
            values.append(value)
    checker.raise_if_errors()
    return FieldUpdates(values=tuple(values), cleared=tuple(cleared))


def validate_sub_credential(definitions: Sequence[FieldDefinition], body: object) -> SubCredentialInput:
    """Check a ``POST .../sub-credentials`` body ``{fieldId, name, fields}`` against the parent's type.

    ``fieldId`` must name a ``multi_credential`` field of ``definitions``; ``fields`` (and an optional
    nested ``subCredentials``) are checked as on create against its ``subFields``. Raises
    :class:`CredentialFieldsError` with paths from the body (``["fieldId"]``, ``["fields", 0, "value"]``).
    """
    checker = _Checker()
    if not isinstance(body, dict):
        checker.error([], "Must be an object")
        checker.raise_if_errors()
    assert isinstance(body, dict)
    container: FieldDefinition | None = None
    field_id = body.get("fieldId")
    if field_id is None:
        checker.error(["fieldId"], "Field is required")
    elif not isinstance(field_id, str):
        checker.error(["fieldId"], "Must be a string")
    else:
        container = next((d for d in definitions if d.id == field_id), None)
        if container is None:
            checker.error(["fieldId"], "Unknown field")
        elif not container.is_container:
            checker.error(["fieldId"], "Not a multi_credential field")
            container = None
    name = checker.name(body, [])
    result = None
    if container is not None:
        checker.budget_sub_credentials(1, [])
        fields = checker.create(
            container.subFields or [],
            body.get("fields", []),
            body.get("subCredentials"),
            ["fields"],
            ["subCredentials"],
        )
        if name is not None:
            result = SubCredentialInput(container.id, name, fields.fields, fields.sub_credentials)
    checker.raise_if_errors()
    assert result is not None
    return result


def present_fields(
    definitions: Sequence[FieldDefinition], stored: Mapping[str, object], *, compact: bool = False
) -> list[dict[str, Any]]:
    """A credential's ``fields`` array as responses show it: one entry per definition, in order.

    Each entry is ``{id, name, secure, required, valueType, value}`` (with ``compact``, the spec's
    sub-credential shape ``{id, value, secure}``). ``value`` is the stored value, ``null`` when there is
    none and ALWAYS ``null`` for a secure field, whatever ``stored`` holds; stored values of fields the
    type no longer defines are left out.
    """
    out: list[dict[str, Any]] = []
    for definition in definitions:
        value = None if definition.secure else stored.get(definition.id)
        if compact:
            out.append({"id": definition.id, "value": value, "secure": definition.secure})
        else:
            out.append(
                {
                    "id": definition.id,
                    "name": definition.name,
                    "secure": definition.secure,
                    "required": definition.required,
                    "valueType": definition.valueType,
                    "value": value,
                }
            )
    return out


class _Checker:
    """Collects errors while walking one request, and counts its inline sub-credentials."""

    def __init__(self) -> None:
        self.errors: list[ErrorDetail] = []
        self.sub_credential_count = 0
        self.budget_reported = False

    def error(self, path: Path, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def raise_if_errors(self) -> None:
        if self.errors:
            raise CredentialFieldsError(self.errors)

    def entries(
        self, definitions: Sequence[FieldDefinition], submitted: object, path: Path
    ) -> dict[str, tuple[int, object]] | None:
        """Map each validly named field to (index in the array, raw value or None); None if no array."""
        if not isinstance(submitted, list | tuple):
            self.error(path, "Must be an array")
            return None
        if len(submitted) > MAX_SUBMITTED_FIELDS:
            self.error(path, f"Must have at most {MAX_SUBMITTED_FIELDS} entries")
            return None
        known = {definition.id for definition in definitions}
        found: dict[str, tuple[int, object]] = {}
        for index, entry in enumerate(submitted):
            if not isinstance(entry, dict):
                self.error([*path, index], "Must be an object")
                continue
            key = "fieldId" if "fieldId" in entry else "id" if "id" in entry else None
            if key is None:
                self.error([*path, index, "fieldId"], "Field is required")
                continue
            field_id = entry[key]
            if not isinstance(field_id, str):
                self.error([*path, index, key], "Must be a string")
            elif field_id not in known:
                self.error([*path, index, key], "Unknown field")
            elif field_id in found:
                self.error([*path, index, key], "Duplicate field")
            else:
                found[field_id] = (index, entry.get("value"))
        return found

    def value(self, definition: FieldDefinition, raw: object, path: Path) -> FieldValue | None:
        try:
            normalised = validate_value(definition.valueType, raw, field_id=definition.id)
        except FieldValueError as exc:
            message = exc.message
        else:
            assert isinstance(normalised, str)
            return FieldValue(definition.id, definition.valueType, definition.secure, normalised)
        self.error(path, message)
        return None

    def create(
        self,
        definitions: Sequence[FieldDefinition],
        submitted: object,
        raw_subs: object,
        path: Path,
        subs_path: Path,
    ) -> CredentialFields:
        entries = self.entries(definitions, submitted, path)
        # Without a usable array, "field X is required" for every field would only be noise.
        values = self.new_values(definitions, entries, path) if entries is not None else ()
        subs = self.sub_credentials(definitions, raw_subs, subs_path)
        return CredentialFields(fields=values, sub_credentials=subs)

    def new_values(
        self, definitions: Sequence[FieldDefinition], entries: dict[str, tuple[int, object]], path: Path
    ) -> tuple[FieldValue, ...]:
        values: list[FieldValue] = []
        for definition in definitions:
            index, raw = entries.get(definition.id, (None, None))
            value_path = [*path, index, "value"] if index is not None else path
            if definition.is_container:
                if raw is not None and raw != []:
                    self.error(value_path, "Set sub-credentials through subCredentials")
                continue
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                if definition.required:
                    if index is None:
                        self.error(path, f"{definition.name} ({definition.id}) is required")
                    else:
                        self.error(value_path, "Field is required")
                continue
            value = self.value(definition, raw, value_path)
            if value is not None:
                values.append(value)
        return tuple(values)

    def sub_credentials(
        self, definitions: Sequence[FieldDefinition], raw: object, path: Path
    ) -> tuple[SubCredentialInput, ...]:
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            self.error(path, "Must be an object keyed by multi_credential field id")
            return ()
        by_id = {definition.id: definition for definition in definitions}
        out: list[SubCredentialInput] = []
        for key, entries in raw.items():
            definition = by_id.get(key)
            if definition is None:
                self.error([*path, str(key)], "Unknown field")
                continue
            if not definition.is_container:
                self.error([*path, key], "Not a multi_credential field")
                continue
            if not isinstance(entries, list | tuple):
                self.error([*path, key], "Must be an array")
                continue
            if len(entries) > MAX_SUB_CREDENTIALS:
                self.error([*path, key], f"Must have at most {MAX_SUB_CREDENTIALS} sub-credentials")
                continue
            if not self.budget_sub_credentials(len(entries), [*path, key]):
                continue
            for index, entry in enumerate(entries):
                sub = self.sub_credential(definition, entry, [*path, key, index])
                if sub is not None:
                    out.append(sub)
        for definition in definitions:
            if definition.is_container and definition.required and not _has_entries(raw.get(definition.id)):
                self.error([*path, definition.id], f"{definition.name} needs at least one sub-credential")
        return tuple(out)

    def budget_sub_credentials(self, count: int, path: Path) -> bool:
        self.sub_credential_count += count
        if self.sub_credential_count <= MAX_INLINE_SUB_CREDENTIALS:
            return True
        if not self.budget_reported:
            self.budget_reported = True
            self.error(path, f"At most {MAX_INLINE_SUB_CREDENTIALS} sub-credentials per request")
        return False

    def sub_credential(self, container: FieldDefinition, entry: object, path: Path) -> SubCredentialInput | None:
        if not isinstance(entry, dict):
            self.error(path, "Must be an object")
            return None
        before = len(self.errors)
        name = self.name(entry, path)
        fields = self.create(
            container.subFields or [],
            entry.get("fields", []),
            entry.get("subCredentials"),
            [*path, "fields"],
            [*path, "subCredentials"],
        )
        if len(self.errors) > before or name is None:
            return None
        return SubCredentialInput(container.id, name, fields.fields, fields.sub_credentials)

    def name(self, entry: dict[Any, Any], path: Path) -> str | None:
        raw = entry.get("name")
        name_path = [*path, "name"]
        if raw is None:
            self.error(name_path, "Field is required")
            return None
        if not isinstance(raw, str):
            self.error(name_path, "Must be a string")
            return None
        name = raw.strip()
        if not name:
            self.error(name_path, "Must not be empty")
        elif len(name) > MAX_NAME_LENGTH:
            self.error(name_path, f"Must be at most {MAX_NAME_LENGTH} characters")
        elif "\x00" in name or not is_utf8_encodable(name):
            self.error(name_path, "Must be valid text without NUL characters")
        else:
            return name
        return None


def _has_entries(value: object) -> bool:
    return isinstance(value, list | tuple) and len(value) > 0
