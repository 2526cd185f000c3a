"""The audit trail: who created, changed, deleted or revealed what, when and from where; never a value.

Entries are only ever inserted (the table's triggers refuse UPDATE, DELETE and TRUNCATE). Each names
the credential, its top-level credential (``root_id``), type, company and the field ids concerned.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import User
from optima_platform.db.base import iso, utcnow
from optima_platform.http.errors import ApiError

from ..models import AuditEntry, Credential, CredentialValue
from .common import Caller, chunks, credential_not_found

CREATE, UPDATE, DELETE, REVEAL = "create", "update", "delete", "reveal"


async def root_of(session: AsyncSession, credential: Credential) -> str:
    """The id of the top-level credential ``credential`` belongs to (itself when it is one)."""
    current = credential
    while current.parent_id is not None:
        parent = await session.get(Credential, current.parent_id)
        if parent is None:
            break
        current = parent
    return current.id


async def record(
    session: AsyncSession,
    caller: Caller,
    action: str,
    credential: Credential,
    *,
    field_ids: Iterable[str] = (),
    detail: dict[str, Any] | None = None,
    root_id: str | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry about ``credential`` in the caller's transaction."""
    session.add(
        AuditEntry(
            at=at or utcnow(),
            action=action,
            user_id=caller.user_id,
            api_key_id=caller.api_key_id,
            client_address=caller.client_address,
            credential_id=credential.id,
            root_id=root_id or await root_of(session, credential),
            credential_name=credential.name,
            type_id=credential.type_id,
            company_id=credential.company_id,
            field_ids=list(dict.fromkeys(field_ids)),
            detail=dict(detail or {}),
        )
    )


async def trail(session: AsyncSession, credential_id: str) -> Sequence[AuditEntry]:
    """A credential's entries and those of its sub-credentials, oldest first (404 if it never existed)."""
    rows = (
        (
            await session.execute(
                select(AuditEntry)
                .where(or_(AuditEntry.credential_id == credential_id, AuditEntry.root_id == credential_id))
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        )
        .scalars()
        .all()
    )
    if not rows and await session.get(Credential, credential_id) is None:
        raise credential_not_found(credential_id)
    return rows


async def resolve_user(session: AsyncSession, identifier: str) -> str:
    """A user id from an id or an email; a deleted user is still known by the id the trail holds."""
    user = await session.get(User, identifier)
    if user is None:
        user = (await session.execute(select(User).where(User.email == identifier.lower()))).scalar_one_or_none()
    if user is not None:
        return user.id
    known = (await session.execute(select(AuditEntry.id).where(AuditEntry.user_id == identifier).limit(1))).first()
    if known is None:
        raise ApiError(404, f"User with identifier '{identifier}' was not found.", "UserNotFound")
    return identifier


async def revealed_unchanged(session: AsyncSession, user_id: str) -> list[dict[str, Any]]:
    """The credentials ``user_id`` revealed secure values of that still hold those same values.

    A revealed field counts while its value has not changed since the user's last reveal of it
    (re-encryption under a new key is not a change; clearing or replacing it is). Deleted
    credentials are left out. Newest reveal first.
    """
    rows = await session.execute(
        select(AuditEntry.credential_id, AuditEntry.field_ids, AuditEntry.at).where(
            AuditEntry.user_id == user_id, AuditEntry.action == REVEAL
        )
    )
    last: dict[str, dict[str, datetime]] = defaultdict(dict)
    for credential_id, field_ids, at in rows:
        fields = last[credential_id]
        for field_id in field_ids or ():
            if field_id not in fields or at > fields[field_id]:
                fields[field_id] = at
    credential_ids = sorted(last)
    changed: dict[tuple[str, str], datetime] = {}
    credentials: dict[str, Credential] = {}
    for part in chunks(credential_ids):
        values = await session.execute(
            select(CredentialValue.credential_id, CredentialValue.field_id, CredentialValue.changed_at).where(
                CredentialValue.credential_id.in_(part)
            )
        )
        changed.update({(row.credential_id, row.field_id): row.changed_at for row in values})
        found = await session.execute(select(Credential).where(Credential.id.in_(part)))
        credentials.update({c.id: c for c in found.scalars()})
    out = []
    for credential_id, revealed in last.items():
        credential = credentials.get(credential_id)
        if credential is None:
            continue
        unchanged = {
            field_id: at
            for field_id, at in revealed.items()
            if (stored := changed.get((credential_id, field_id))) is not None and stored <= at
        }
        if unchanged:
            out.append(
                {
                    "credentialId": credential.id,
                    "credentialName": credential.name,
                    "subCredentialOfId": credential.parent_id,
                    "typeId": credential.type_id,
                    "companyId": credential.company_id,
                    "fieldIds": sorted(unchanged),
                    "lastRevealedAt": iso(max(unchanged.values())),
                }
            )
    out.sort(key=lambda row: (row["lastRevealedAt"], row["credentialId"]), reverse=True)
    return out
