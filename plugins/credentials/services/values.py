"""Storing field values: secure ones sealed under the current key, ciphertexts kept out of secure fields.

A client that sends back the ciphertext ``GET .../fields`` gave it must not turn that ciphertext into
the new password. So in a secure field a value shaped like a stored token (``v1:<kid>:<nonce>:<ct>``)
is never stored as given: on an update, the field's own current token means "unchanged"; any other
token (another field's, another credential's, an older one) is refused with a validation error.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.db.base import new_id, utcnow

from ..crypto import DecryptionError, Keyring
from ..field_values import FieldUpdates, FieldValue
from ..models import CredentialValue
from ..type_schema import FieldDefinition
from ..value_types import ErrorDetail
from .loading import Loaded

ENCRYPTED_REFUSED = (
    "This is an encrypted value, not this field's current one; send the plaintext to change the field, "
    "or null to keep it"
)


def seal(ring: Keyring, credential_id: str, value: FieldValue) -> tuple[str, str | None]:
    """What to store for ``value``: a token under the current key if secure, else the text (and the kid)."""
    if value.secure:
        return ring.encrypt(value.value, credential_id=credential_id, field_id=value.field_id), ring.current_kid
    return value.value, None


def looks_encrypted(ring: Keyring, value: object) -> bool:
    """Whether ``value`` is shaped like a stored token (whatever its key)."""
    if not isinstance(value, str):
        return False
    try:
        ring.key_id_of(value)
    except DecryptionError:
        return False
    return True


def screen(
    ring: Keyring,
    definitions: Sequence[FieldDefinition],
    submitted: object,
    path: Sequence[str | int],
    current: Mapping[str, str] | None = None,
) -> tuple[object, list[ErrorDetail]]:
    """Submitted ``fields`` with each secure field's own current token turned into ``null`` (keep).

    Any other token in a secure field is an error at its ``value`` path. ``current`` maps field ids to
    stored tokens (None on create, where every token is refused).
    """
    if not isinstance(submitted, list):
        return submitted, []
    secure = {d.id for d in definitions if d.secure}
    out: list[object] = []
    errors: list[ErrorDetail] = []
    for index, entry in enumerate(submitted):
        if isinstance(entry, dict):
            field_id = entry.get("fieldId", entry.get("id"))
            value = entry.get("value")
            if isinstance(field_id, str) and field_id in secure and looks_encrypted(ring, value):
                if current is not None and current.get(field_id) == value:
                    entry = {**entry, "value": None}
                else:
                    errors.append({"path": [*path, index, "value"], "message": ENCRYPTED_REFUSED})
        out.append(entry)
    return out, errors


def screen_inline(
    ring: Keyring, definitions: Sequence[FieldDefinition], submitted: object, path: Sequence[str | int]
) -> list[ErrorDetail]:
    """Refuse tokens in the secure fields of inline ``subCredentials`` (any depth)."""
    if not isinstance(submitted, dict):
        return []
    errors: list[ErrorDetail] = []
    containers = {d.id: d for d in definitions if d.is_container}
    for field_id, entries in submitted.items():
        container = containers.get(field_id)
        if container is None or not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                continue
            where = [*path, field_id, index]
            errors += screen(ring, container.subFields or [], entry.get("fields"), [*where, "fields"])[1]
            errors += screen_inline(
                ring, container.subFields or [], entry.get("subCredentials"), [*where, "subCredentials"]
            )
    return errors


def new_rows(ring: Keyring, credential_id: str, values: Sequence[FieldValue]) -> list[CredentialValue]:
    now = utcnow()
    rows = []
    for value in values:
        stored, kid = seal(ring, credential_id, value)
        rows.append(
            CredentialValue(
                id=new_id(),
                credential_id=credential_id,
                field_id=value.field_id,
                value=stored,
                secure=value.secure,
                key_id=kid,
                changed_at=now,
                created_at=now,
                updated_at=now,
            )
        )
    return rows


def _unchanged(ring: Keyring, row: CredentialValue, value: FieldValue) -> bool:
    """Whether the stored value already is ``value`` (secure ones compared after decryption, on the server)."""
    if row.secure != value.secure:
        return False
    if not row.secure:
        return row.value == value.value
    try:
        return ring.decrypt(row.value, credential_id=row.credential_id, field_id=row.field_id) == value.value
    except DecryptionError:
        return False


async def apply_updates(session: AsyncSession, ring: Keyring, item: Loaded, updates: FieldUpdates) -> list[str]:
    """Write a partial update into ``item``'s values; returns the ids of the fields that really changed."""
    credential_id = item.credential.id
    changed: list[str] = []
    now: datetime = utcnow()
    for value in updates.values:
        row = item.values.get(value.field_id)
        if row is None:
            (row,) = new_rows(ring, credential_id, [value])
            session.add(row)
            item.values[value.field_id] = row
        elif _unchanged(ring, row, value):
            continue
        else:
            row.value, row.key_id = seal(ring, credential_id, value)
            row.secure = value.secure
            row.changed_at = now
            row.updated_at = now
        changed.append(value.field_id)
    for field_id in updates.cleared:
        row = item.values.pop(field_id, None)
        if row is not None:
            await session.delete(row)
            changed.append(field_id)
    return changed


def current_tokens(item: Loaded) -> dict[str, str]:
    return {field_id: row.value for field_id, row in item.values.items() if row.secure}
