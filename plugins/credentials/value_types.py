"""The value types a credential type's field may have, each with the validator of its values.

``GET /credential/valuetypes`` answers :func:`value_type_names`, in the spec's order:

- ``plain_text``: text, stripped of surrounding whitespace.
- ``license_key``: text, stripped.
- ``ip_address``: one IPv4 or IPv6 address as :mod:`ipaddress` reads it, stripped and otherwise kept as
  written (``2001:DB8:0::1`` stays so). An IPv6 zone of ``A-Z a-z 0-9 . _ -`` is allowed
  (``fe80::1%eth0``). Networks (``10.0.0.0/8``), host names, short or hex IPv4 forms (``127.1``,
  ``0x7f.0.0.1``) and IPv4 with leading zeros are refused.
- ``generic_secret``: secret text, stored exactly as given (not stripped). Always a secure field.
- ``bitlocker_key``: a BitLocker recovery password, eight groups of six ASCII digits joined by ``-``,
  stripped. Each group must be a multiple of 11 below 720896 (BitLocker's own per-group check), e.g.
  ``000000-111111-222222-333333-444444-555555-666666-707707``.
- ``password``: secret text, stored exactly as given (not stripped). Always a secure field.
- ``multi_credential``: the container of sub-credentials. Its value is the list of the sub-credential
  ids, never text; clients do not submit it, the service fills it as sub-credentials are created and
  removed.

Text rules (all but ``multi_credential``): the value must be a string that is not empty or
whitespace-only, at most :data:`MAX_TEXT_LENGTH` (10 000) characters, without NUL characters and
without unpaired surrogates (it must be storable as UTF-8). Secrets are not stripped because a vault
must give back exactly the secret it was given; whitespace-only secrets are still refused as empty.

A sub-credential id list holds at most :data:`MAX_SUB_CREDENTIALS` distinct ids of 1-128 characters
of ``A-Z a-z 0-9 _ -``.

Validators raise :class:`FieldValueError`. Its message NEVER contains the submitted value, for secure
and non-secure fields alike, so a caller cannot leak a secret by passing the wrong flag.
:class:`ValidationFailed` is the base of the errors that carry the spec's validation shape
``[{"path": [...], "message": ...}]``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Final, TypedDict

__all__ = [
    "BITLOCKER_KEY",
    "GENERIC_SECRET",
    "IP_ADDRESS",
    "LICENSE_KEY",
    "MAX_SUB_CREDENTIALS",
    "MAX_TEXT_LENGTH",
    "MULTI_CREDENTIAL",
    "PASSWORD",
    "PLAIN_TEXT",
    "VALUE_TYPES",
    "ErrorDetail",
    "FieldValueError",
    "ValidationFailed",
    "ValueType",
    "get_value_type",
    "is_empty_value",
    "is_utf8_encodable",
    "validate_value",
    "value_type_names",
]

PLAIN_TEXT: Final = "plain_text"
LICENSE_KEY: Final = "license_key"
IP_ADDRESS: Final = "ip_address"
GENERIC_SECRET: Final = "generic_secret"
BITLOCKER_KEY: Final = "bitlocker_key"
PASSWORD: Final = "password"
MULTI_CREDENTIAL: Final = "multi_credential"

MAX_TEXT_LENGTH: Final = 10_000
MAX_SUB_CREDENTIALS: Final = 100
SUB_CREDENTIAL_ID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,128}")

_BITLOCKER = re.compile(r"[0-9]{6}(?:-[0-9]{6}){7}")
_BITLOCKER_GROUP_LIMIT = 720_896
_IPV6_ZONE = re.compile(r"[A-Za-z0-9._-]{1,64}")


class ErrorDetail(TypedDict):
    """One entry of the spec's validation shape."""

    path: list[str | int]
    message: str


class ValidationFailed(ValueError):
    """Validation found problems; ``errors`` holds them in the spec's ``[{path, message}]`` shape."""

    def __init__(self, errors: Sequence[ErrorDetail]) -> None:
        self.errors: list[ErrorDetail] = [{"path": list(e["path"]), "message": e["message"]} for e in errors]
        if not self.errors:
            raise ValueError("ValidationFailed needs at least one error")
        first = self.errors[0]
        where = ".".join(str(p) for p in first["path"]) or "(root)"
        more = f" (and {len(self.errors) - 1} more)" if len(self.errors) > 1 else ""
        super().__init__(f"{where}: {first['message']}{more}")


class FieldValueError(ValueError):
    """A single value is invalid for its field; the message never contains the value."""

    def __init__(self, field_id: str, message: str) -> None:
        super().__init__(message)
        self.field_id = field_id
        self.message = message


@dataclass(frozen=True, slots=True)
class ValueType:
    """A value type: its name, whether its fields must be secure, and its validator.

    ``validate(value, field_id)`` returns the normalised value or raises :class:`FieldValueError`.
    ``container`` marks ``multi_credential``, whose value is a list of sub-credential ids.
    """

    name: str
    validate: Callable[[object, str], str | list[str]]
    always_secure: bool = False
    container: bool = False


def is_utf8_encodable(text: str) -> bool:
    """False for text with unpaired surrogates, which neither UTF-8 nor the database can store."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object, field_id: str, *, strip: bool) -> str:
    if not isinstance(value, str):
        raise FieldValueError(field_id, "Must be a string")
    if not value.strip():
        raise FieldValueError(field_id, "Must not be empty")
    if len(value) > MAX_TEXT_LENGTH:
        raise FieldValueError(field_id, f"Must be at most {MAX_TEXT_LENGTH} characters")
    if "\x00" in value:
        raise FieldValueError(field_id, "Must not contain NUL characters")
    if not is_utf8_encodable(value):
        raise FieldValueError(field_id, "Must be valid Unicode text")
    return value.strip() if strip else value


def _stripped_text(value: object, field_id: str) -> str:
    return _text(value, field_id, strip=True)


def _verbatim_text(value: object, field_id: str) -> str:
    return _text(value, field_id, strip=False)


def _ip_address(value: object, field_id: str) -> str:
    text = _text(value, field_id, strip=True)
    try:
        ipaddress.ip_address(text)
    except ValueError:
        valid = False
    else:
        _, percent, zone = text.partition("%")
        valid = not percent or bool(_IPV6_ZONE.fullmatch(zone))
    if not valid:
        raise FieldValueError(field_id, "Must be a valid IPv4 or IPv6 address")
    return text


def _bitlocker_key(value: object, field_id: str) -> str:
    text = _text(value, field_id, strip=True)
    if not _BITLOCKER.fullmatch(text):
        raise FieldValueError(
            field_id, "Must be eight groups of six digits separated by hyphens (a BitLocker recovery key)"
        )
    for group in text.split("-"):
        number = int(group)
        if number % 11 or number >= _BITLOCKER_GROUP_LIMIT:
            raise FieldValueError(field_id, "Is not a valid BitLocker recovery key (a group fails its checksum)")
    return text


def _sub_credential_ids(value: object, field_id: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise FieldValueError(field_id, "Must be a list of sub-credential ids")
    if len(value) > MAX_SUB_CREDENTIALS:
        raise FieldValueError(field_id, f"Must hold at most {MAX_SUB_CREDENTIALS} sub-credentials")
    ids: list[str] = []
    for item in value:
        if not isinstance(item, str) or not SUB_CREDENTIAL_ID_PATTERN.fullmatch(item):
            raise FieldValueError(field_id, "Must be a list of sub-credential ids")
        if item in ids:
            raise FieldValueError(field_id, "Must not list a sub-credential twice")
        ids.append(item)
    return ids


VALUE_TYPES: Final[Mapping[str, ValueType]] = MappingProxyType(
    {
        vt.name: vt
        for vt in (
            ValueType(PLAIN_TEXT, _stripped_text),
            ValueType(LICENSE_KEY, _stripped_text),
            ValueType(IP_ADDRESS, _ip_address),
            ValueType(GENERIC_SECRET, _verbatim_text, always_secure=True),
            ValueType(BITLOCKER_KEY, _bitlocker_key),
            ValueType(PASSWORD, _verbatim_text, always_secure=True),
            ValueType(MULTI_CREDENTIAL, _sub_credential_ids, container=True),
        )
    }
)


def value_type_names() -> list[str]:
    """The value type names in the order ``GET /credential/valuetypes`` lists them (a fresh list)."""
    return list(VALUE_TYPES)


def get_value_type(name: str) -> ValueType:
    """The value type called ``name``; ``KeyError`` when there is none."""
    return VALUE_TYPES[name]


def validate_value(value_type: str, value: object, *, field_id: str) -> str | list[str]:
    """Validate and normalise one value of ``value_type`` for field ``field_id``.

    Returns the normalised text, or the id list for ``multi_credential``. Raises
    :class:`FieldValueError` (message without the value) or ``KeyError`` for an unknown value type.
    """
    return VALUE_TYPES[value_type].validate(value, field_id)


def is_empty_value(value: object) -> bool:
    """True for "no value": ``None``, a whitespace-only string, or an empty list."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple):
        return not value
    return False
