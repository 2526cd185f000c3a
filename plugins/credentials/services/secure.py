"""Revealing secure values: decrypted on the server for the caller, and every reveal audited.

A value that does not decrypt (copied from another credential or field, altered, or under a key that
is no longer configured) is answered with a 409 naming the field and the reason, never with garbage.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.host import Host
from optima_platform.http.errors import ApiError

from ..crypto import DecryptionError, Keyring
from ..models import CredentialValue
from . import audit
from .common import Caller, keyring, secure_field_not_found
from .credentials import fetch
from .loading import Loaded

REASONS = {
    "authentication": "it does not belong to this credential and field (it was copied from another one, or altered)",
    "unknown_key": (
        "it is encrypted under key '{kid}', which is not configured; add that key to [plugins.credentials] keys"
    ),
    "malformed": "it is not a valid encrypted value",
    "unsupported_version": "it is in an encrypted format this version cannot read",
}


def _problem(field_id: str, exc: DecryptionError) -> dict[str, Any]:
    reason = REASONS.get(exc.reason, REASONS["malformed"]).format(kid=exc.kid or "?")
    return {
        "fieldId": field_id,
        "reason": exc.reason,
        "message": f"The stored value of '{field_id}' cannot be decrypted: {reason}.",
    }


def _undecryptable(problems: list[dict[str, Any]]) -> ApiError:
    if len(problems) == 1:
        message = problems[0]["message"]
    else:
        message = (
            f"{len(problems)} stored secure values cannot be decrypted: {', '.join(p['fieldId'] for p in problems)}."
        )
    return ApiError(409, message, "SecureValueUndecryptable", fields=problems)


def _open(ring: Keyring, row: CredentialValue) -> str:
    return ring.decrypt(row.value, credential_id=row.credential_id, field_id=row.field_id)


async def _reveal(
    session: AsyncSession, ring: Keyring, caller: Caller, item: Loaded, field_ids: list[str]
) -> dict[str, str]:
    out: dict[str, str] = {}
    problems: list[dict[str, Any]] = []
    for field_id in field_ids:
        row = item.values.get(field_id)
        if row is None:
            continue
        try:
            out[field_id] = _open(ring, row)
        except DecryptionError as exc:
            problems.append(_problem(field_id, exc))
    if problems:
        raise _undecryptable(problems)
    if out:
        await audit.record(session, caller, audit.REVEAL, item.credential, field_ids=list(out))
    return out


async def reveal_all(host: Host, session: AsyncSession, caller: Caller, credential_id: str) -> dict[str, str]:
    """Every secure field that holds a value, decrypted: ``{fieldId: value}``."""
    ring = keyring(host)
    item = await fetch(host, session, caller, credential_id)
    return await _reveal(session, ring, caller, item, [d.id for d in item.definitions if d.secure])


async def reveal_one(
    host: Host, session: AsyncSession, caller: Caller, credential_id: str, field_id: str
) -> dict[str, Any]:
    """One secure field decrypted (``value`` null when it holds none); 404 for an unknown or non-secure field."""
    ring = keyring(host)
    item = await fetch(host, session, caller, credential_id)
    if not any(d.id == field_id and d.secure for d in item.definitions):
        raise secure_field_not_found(field_id)
    revealed = await _reveal(session, ring, caller, item, [field_id])
    return {"fieldId": field_id, "value": revealed.get(field_id)}
