"""Wire shapes of credential types, credentials, stored values and audit entries (as the spec shows them).

No function here ever puts a secure value or a ciphertext in a credential's ``fields``: secure
values are read only by ``secure.py`` and the ciphertexts only by :func:`stored_values_json`.
"""

from __future__ import annotations

from typing import Any

from optima_platform.db.base import iso

from ..field_values import present_fields
from ..models import AuditEntry, CredentialType
from ..type_schema import FieldDefinition, fields_to_builtins
from .loading import Loaded, type_definitions


def type_json(ctype: CredentialType, credential_count: int) -> dict[str, Any]:
    return {
        "id": ctype.id,
        "name": ctype.name,
        "permissionScope": ctype.permission_scope,
        "icon": ctype.icon,
        "fields": fields_to_builtins(type_definitions(ctype)),
        "credentialCount": credential_count,
        "createdAt": iso(ctype.created_at),
        "updatedAt": iso(ctype.updated_at),
    }


def _type_summary(item: Loaded) -> dict[str, Any]:
    ctype = item.ctype
    return {
        "id": ctype.id,
        "name": ctype.name,
        "permissionScope": ctype.permission_scope,
        "icon": ctype.icon,
        "fields": fields_to_builtins(item.type_fields),
    }


def _shown_values(item: Loaded, definitions: list[FieldDefinition]) -> dict[str, object]:
    """Non-secure stored values, and the sub-credential ids of each container field; never a secret."""
    shown: dict[str, object] = {}
    for definition in definitions:
        if definition.is_container:
            shown[definition.id] = list(item.children.get(definition.id, []))
            continue
        row = item.values.get(definition.id)
        if row is not None and not row.secure and not definition.secure:
            shown[definition.id] = row.value
    return shown


def credential_json(item: Loaded) -> dict[str, Any]:
    credential = item.credential
    definitions = item.definitions
    body: dict[str, Any] = {
        "id": credential.id,
        "name": credential.name,
        "notes": credential.notes,
        "typeId": credential.type_id,
        "companyId": credential.company_id,
    }
    if credential.is_sub_credential:
        body["subCredentialOfId"] = credential.parent_id
    body["fields"] = present_fields(definitions, _shown_values(item, definitions), compact=credential.is_sub_credential)
    body["type"] = _type_summary(item)
    body["company"] = {"id": credential.company_id, "name": item.company_name}
    body["createdAt"] = iso(credential.created_at)
    body["updatedAt"] = iso(credential.updated_at)
    return body


def stored_values_json(item: Loaded) -> list[dict[str, Any]]:
    """``GET .../fields``: each stored value record as the database holds it (secure ones as ciphertext)."""
    out = []
    for definition in item.definitions:
        row = item.values.get(definition.id)
        if row is not None and not definition.is_container:
            out.append({"id": row.id, "fieldId": row.field_id, "value": row.value})
    return out


def audit_json(entry: AuditEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": iso(entry.at),
        "action": entry.action,
        "userId": entry.user_id,
        "apiKeyId": entry.api_key_id,
        "clientAddress": entry.client_address,
        "credentialId": entry.credential_id,
        "rootCredentialId": entry.root_id,
        "credentialName": entry.credential_name,
        "typeId": entry.type_id,
        "companyId": entry.company_id,
        "fieldIds": list(entry.field_ids or []),
        "detail": dict(entry.detail or {}),
    }
