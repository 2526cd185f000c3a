"""Credentials and sub-credentials: create, fetch, list, update, delete; every change audited.

Sub-credentials are credentials too (same table): a sub-credential belongs to one ``multi_credential``
field of its parent, has that field's ``subFields`` as its definitions, and its id is listed as the
field's value. Deleting a credential deletes its sub-credentials (and theirs). A required
``multi_credential`` field keeps at least one sub-credential: removing its last one is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.services.companies import get_company
from optima_platform.db.base import lock_row, new_id, utcnow
from optima_platform.host import Host
from optima_platform.http.errors import ApiError
from optima_platform.http.guard import require

from ..crypto import Keyring
from ..field_values import (
    MAX_NAME_LENGTH,
    CredentialFieldsError,
    FieldValue,
    SubCredentialInput,
    validate_credential_fields,
    validate_field_updates,
    validate_sub_credential,
)
from ..models import Credential, CredentialType
from ..value_types import ErrorDetail, is_utf8_encodable
from . import audit
from .common import (
    Caller,
    credential_not_found,
    invalid,
    keyring,
    may_access,
    require_scope,
    sub_credential_not_found,
)
from .loading import (
    Loaded,
    child_path,
    definitions_at,
    get_credential,
    get_type_by_id,
    load_many,
    load_one,
    type_definitions,
)
from .values import apply_updates, current_tokens, new_rows, screen, screen_inline

MAX_NOTES_LENGTH = 10_000


def _text_errors(value: str | None, path: list[str | int], *, limit: int, required: bool) -> list[ErrorDetail]:
    if value is None:
        return []
    if required and not value.strip():
        return [{"path": path, "message": "Must not be empty"}]
    if len(value) > limit or "\x00" in value or not is_utf8_encodable(value):
        return [{"path": path, "message": f"Must be valid text of at most {limit} characters, without NUL"}]
    return []


async def _insert(session: AsyncSession, ring: Keyring, credential: Credential, values: Sequence[FieldValue]) -> None:
    session.add(credential)
    await session.flush()
    session.add_all(new_rows(ring, credential.id, values))


async def _create_sub(
    session: AsyncSession, ring: Keyring, caller: Caller, parent: Credential, sub: SubCredentialInput, root_id: str
) -> Credential:
    now = utcnow()
    child = Credential(
        id=new_id(),
        type_id=parent.type_id,
        company_id=parent.company_id,
        parent_id=parent.id,
        field_path=child_path(parent.field_path, sub.field_id),
        name=sub.name,
        notes=None,
        created_at=now,
        updated_at=now,
    )
    await _insert(session, ring, child, sub.fields)
    await audit.record(
        session,
        caller,
        audit.CREATE,
        child,
        field_ids=[v.field_id for v in sub.fields],
        detail={"subCredentialOf": parent.id, "fieldId": sub.field_id},
        root_id=root_id,
    )
    for nested in sub.sub_credentials:
        await _create_sub(session, ring, caller, child, nested, root_id)
    return child


async def lock_type_of(session: AsyncSession, credential_id: str) -> None:
    """Write-lock the type row of a credential about to be changed (nothing for an unknown id).

    Every write to a type's credentials (create, update, add or remove a sub-credential, delete) and
    every change of the type itself first locks the type's row, so each one's checks (a required
    field's last sub-credential, which fields are secure) hold until it commits. Reads before it are
    of ids only, so nothing stale stays in the session.
    """
    type_id = (
        await session.execute(select(Credential.type_id).where(Credential.id == credential_id))
    ).scalar_one_or_none()
    if type_id is not None:
        await lock_row(session, CredentialType, type_id)


SUB_FETCH = "credential.sub_credentials.fetch"
SUB_CREATE = "credential.sub_credentials.create"
SUB_DELETE = "credential.sub_credentials.delete"


async def fetch(
    host: Host, session: AsyncSession, caller: Caller, credential_id: str, *, sub_node: str = SUB_FETCH
) -> Loaded:
    """A credential the caller may access (404 unknown, 403 outside its type's permission scope).

    A sub-credential reached by its own id (``/credential/credentials/{subId}...``) also needs
    ``sub_node``, the sub-credential node of what is done to it (403 listing it as ``missing``): reading
    needs ``credential.sub_credentials.fetch``, changing it ``credential.sub_credentials.create``,
    deleting it ``credential.sub_credentials.delete``, as on the ``.../sub-credentials`` routes.
    """
    item = await load_one(session, await get_credential(session, credential_id))
    require_scope(host, caller, item.ctype)
    if item.credential.parent_id is not None and caller.principal is not None:
        require(
            caller.principal,
            sub_node,
            message=f"This is a sub-credential: this needs {sub_node} as well.",
        )
    return item


async def create(
    host: Host,
    session: AsyncSession,
    caller: Caller,
    *,
    name: str,
    notes: str | None,
    type_id: str,
    company_id: str,
    fields: list[Any],
    sub_credentials: dict[str, Any] | None,
) -> Loaded:
    ring = keyring(host)
    await lock_row(session, CredentialType, type_id)
    ctype = await get_type_by_id(session, type_id)
    require_scope(host, caller, ctype)
    company = await get_company(session, company_id)
    definitions = type_definitions(ctype)
    errors = _text_errors(name, ["name"], limit=MAX_NAME_LENGTH, required=True)
    errors += _text_errors(notes, ["notes"], limit=MAX_NOTES_LENGTH, required=False)
    errors += screen(ring, definitions, fields, ["fields"])[1]
    errors += screen_inline(ring, definitions, sub_credentials, ["subCredentials"])
    try:
        checked = validate_credential_fields(definitions, fields, sub_credentials=sub_credentials)
    except CredentialFieldsError as exc:
        raise invalid(exc, errors) from None
    if errors:
        raise invalid(extra=errors)
    now = utcnow()
    credential = Credential(
        id=new_id(),
        type_id=ctype.id,
        company_id=company.id,
        parent_id=None,
        field_path="",
        name=name.strip(),
        notes=notes,
        created_at=now,
        updated_at=now,
    )
    await _insert(session, ring, credential, checked.fields)
    await audit.record(
        session, caller, audit.CREATE, credential, field_ids=[v.field_id for v in checked.fields], root_id=credential.id
    )
    for sub in checked.sub_credentials:
        await _create_sub(session, ring, caller, credential, sub, credential.id)
    await session.flush()
    return await load_one(session, credential)


async def update(
    host: Host,
    session: AsyncSession,
    caller: Caller,
    credential_id: str,
    *,
    name: str | None = None,
    notes: str | None = None,
    set_notes: bool = False,
    fields: list[Any] | None = None,
) -> Loaded:
    """PATCH (name, notes, fields) and PUT .../fields: only what is given changes; audited."""
    await lock_type_of(session, credential_id)
    item = await fetch(host, session, caller, credential_id, sub_node=SUB_CREATE)
    credential = item.credential
    ring = keyring(host)
    errors = _text_errors(name, ["name"], limit=MAX_NAME_LENGTH, required=True)
    errors += _text_errors(notes if set_notes else None, ["notes"], limit=MAX_NOTES_LENGTH, required=False)
    updates = None
    if fields is not None:
        definitions = item.definitions
        screened, screen_errors = screen(ring, definitions, fields, ["fields"], current_tokens(item))
        errors += screen_errors
        try:
            updates = validate_field_updates(definitions, screened, children=item.children)
        except CredentialFieldsError as exc:
            raise invalid(exc, errors) from None
    if errors:
        raise invalid(extra=errors)
    changed: list[str] = []
    if name is not None and name.strip() != credential.name:
        credential.name = name.strip()
        changed.append("name")
    if set_notes and notes != credential.notes:
        credential.notes = notes
        changed.append("notes")
    try:
        field_ids = await apply_updates(session, ring, item, updates) if updates is not None else []
        if field_ids:
            changed.append("fields")
        if changed:
            credential.updated_at = utcnow()
        await audit.record(session, caller, audit.UPDATE, credential, field_ids=field_ids, detail={"changed": changed})
        await session.flush()
    except IntegrityError:
        raise ApiError(
            409, "The credential was changed by another request at the same time; try again.", "ConcurrentUpdate"
        ) from None
    return item


async def list_for_company(host: Host, session: AsyncSession, caller: Caller, company_id: str) -> list[Loaded]:
    """A company's top-level credentials by name, leaving out those outside the caller's scopes."""
    company = await get_company(session, company_id)
    rows = (
        (
            await session.execute(
                select(Credential)
                .where(Credential.company_id == company.id, Credential.parent_id.is_(None))
                .order_by(Credential.name, Credential.id)
            )
        )
        .scalars()
        .all()
    )
    return [item for item in await load_many(session, rows) if may_access(host, caller, item.ctype)]


async def list_for_type(host: Host, session: AsyncSession, caller: Caller, type_id: str) -> list[Loaded]:
    """A type's top-level credentials by name (403 outside the type's permission scope)."""
    ctype = await get_type_by_id(session, type_id)
    require_scope(host, caller, ctype)
    rows = (
        (
            await session.execute(
                select(Credential)
                .where(Credential.type_id == ctype.id, Credential.parent_id.is_(None))
                .order_by(Credential.name, Credential.id)
            )
        )
        .scalars()
        .all()
    )
    return await load_many(session, rows)


async def _descendants(session: AsyncSession, credential: Credential) -> list[Credential]:
    found: list[Credential] = []
    frontier = [credential.id]
    while frontier:
        level = (
            (
                await session.execute(
                    select(Credential).where(Credential.parent_id.in_(frontier)).order_by(Credential.id)
                )
            )
            .scalars()
            .all()
        )
        found += level
        frontier = [c.id for c in level]
    return found


async def _ensure_removable(session: AsyncSession, item: Loaded) -> Credential | None:
    """The parent of a sub-credential about to be removed (409 if it is a required field's last one)."""
    credential = item.credential
    # The type row write-locked before anything is read again or counted, so two requests cannot each
    # remove one of the last two, nor both remove the same one (see ``lock_type_of``).
    await lock_row(session, CredentialType, credential.type_id)
    still_there = (
        await session.execute(select(Credential.id).where(Credential.id == credential.id))
    ).scalar_one_or_none()
    if still_there is None:
        raise credential_not_found(credential.id) if credential.parent_id is None else sub_credential_not_found()
    if credential.parent_id is None:
        return None
    await session.refresh(item.ctype)
    item.type_fields = type_definitions(item.ctype)
    parent = await get_credential(session, credential.parent_id)
    field_id = credential.field_path.rpartition(".")[2]
    container = next(
        (d for d in definitions_at(item.type_fields, parent.field_path) if d.id == field_id and d.is_container), None
    )
    if container is not None and container.required:
        siblings = (
            await session.execute(
                select(func.count())
                .select_from(Credential)
                .where(Credential.parent_id == parent.id, Credential.field_path == credential.field_path)
            )
        ).scalar_one()
        if siblings <= 1:
            raise ApiError(
                409,
                f"{container.name} ({container.id}) is required and this is its last sub-credential; "
                "add another one before removing it.",
                "RequiredSubCredential",
            )
    return parent


async def remove(host: Host, session: AsyncSession, caller: Caller, item: Loaded) -> None:
    """Delete a credential and its sub-credentials (and their values); each deletion is audited."""
    credential = item.credential
    parent = await _ensure_removable(session, item)
    root_id = await audit.root_of(session, credential)
    await audit.record(session, caller, audit.DELETE, credential, root_id=root_id)
    for child in await _descendants(session, credential):
        await audit.record(session, caller, audit.DELETE, child, detail={"reason": "parent-deleted"}, root_id=root_id)
    if parent is not None:
        parent.updated_at = utcnow()
    await session.flush()
    await session.execute(delete(Credential).where(Credential.id == credential.id))


async def list_sub_credentials(host: Host, session: AsyncSession, caller: Caller, credential_id: str) -> list[Loaded]:
    parent = await fetch(host, session, caller, credential_id)
    rows = (
        (
            await session.execute(
                select(Credential)
                .where(Credential.parent_id == parent.credential.id)
                .order_by(Credential.created_at, Credential.id)
            )
        )
        .scalars()
        .all()
    )
    return await load_many(session, rows)


async def add_sub_credential(
    host: Host, session: AsyncSession, caller: Caller, credential_id: str, body: dict[str, Any]
) -> Loaded:
    """``POST .../sub-credentials`` ``{fieldId, name, fields[, subCredentials]}``, checked against the field."""
    ring = keyring(host)
    await lock_type_of(session, credential_id)
    parent = await fetch(host, session, caller, credential_id, sub_node=SUB_CREATE)
    definitions = parent.definitions
    errors: list[ErrorDetail] = []
    container = next((d for d in definitions if d.id == body.get("fieldId") and d.is_container), None)
    if container is not None:
        errors += screen(ring, container.subFields or [], body.get("fields"), ["fields"])[1]
        errors += screen_inline(ring, container.subFields or [], body.get("subCredentials"), ["subCredentials"])
    try:
        checked = validate_sub_credential(definitions, body)
    except CredentialFieldsError as exc:
        raise invalid(exc, errors) from None
    if errors:
        raise invalid(extra=errors)
    root_id = await audit.root_of(session, parent.credential)
    child = await _create_sub(session, ring, caller, parent.credential, checked, root_id)
    parent.credential.updated_at = utcnow()
    await session.flush()
    return await load_one(session, child)


async def remove_sub_credential(
    host: Host, session: AsyncSession, caller: Caller, credential_id: str, sub_id: str
) -> None:
    await lock_type_of(session, credential_id)
    parent = await fetch(host, session, caller, credential_id, sub_node=SUB_DELETE)
    child = await session.get(Credential, sub_id)
    if child is None or child.parent_id != parent.credential.id:
        raise sub_credential_not_found()
    await remove(host, session, caller, await load_one(session, child))
