"""Credential types: CRUD, lookup by id or name, credential counts, and safe changes to their fields.

Changing a type's fields never silently destroys or exposes stored values. For every level of the
field tree (sub-fields included), an update is refused with 409 ``FieldChangeConflict`` when it would

- remove a field that credentials hold values (or sub-credentials) for, or turn a field into or out
  of ``multi_credential`` while it holds any, unless the field's dotted path (``tunnels.psk``) is
  listed in ``dropFields``: then those values (or sub-credentials) are deleted, and audited;
- make a secure field non-secure while credentials hold values for it (they would be stored in the
  clear);
- change a field's ``valueType`` while some stored value is not valid for the new one, or at all
  while a secure field holds values: checking them would mean decrypting every one of them for
  someone who may only hold ``credential_type.update``, and the answer (how many fit) would tell
  something about the secrets.

Making a field secure encrypts the values already stored for it in the same transaction. Making a
field required is allowed: it applies to new credentials and later updates, existing ones keep
what they hold. Deleting a type deletes its credentials, each deletion audited.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import and_, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.db.base import lock_row, utcnow
from optima_platform.host import Host
from optima_platform.http.errors import ApiError

from ..crypto import Keyring
from ..models import Credential, CredentialType, CredentialValue
from ..permissions import register_scope
from ..type_schema import FieldDefinition, TypeSchemaError, diff_fields, fields_to_builtins, validate_fields
from ..value_types import ErrorDetail, FieldValueError, validate_value
from . import audit
from .common import Caller, chunks, invalid, keyring, require_scope, type_not_found
from .loading import PATH_SEPARATOR, child_path, get_type_by_id, type_definitions

MAX_TYPE_NAME = 200
MAX_SCOPE = 100
SCOPE_PATTERN = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
MAX_ICON = 2048
ICON_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
NOT_IN_URLS = frozenset('"<>\\^`{|}')


def _name(value: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise invalid(extra=[{"path": ["name"], "message": "Must not be empty"}])
    if len(cleaned) > MAX_TYPE_NAME or any(unicodedata.category(ch) in ("Cc", "Cs") for ch in cleaned):
        raise invalid(extra=[{"path": ["name"], "message": f"Must be at most {MAX_TYPE_NAME} characters of text"}])
    return cleaned


def _scope(value: str | None) -> str | None:
    if value is None:
        return None
    if len(value) > MAX_SCOPE or not SCOPE_PATTERN.fullmatch(value):
        raise invalid(
            extra=[
                {
                    "path": ["permissionScope"],
                    "message": "Must be dot-separated words of A-Z, a-z, 0-9, '_' or '-' (e.g. aws.credentials)",
                }
            ]
        )
    return value


def _icon(value: str | None) -> str | None:
    """An icon is an absolute ``http(s)`` URL or a short icon name (``vpn-key``); nothing else.

    Clients put it in ``<img src>`` or look it up by name, so no other scheme (``javascript:``,
    ``data:``), no relative or protocol-relative URL, no whitespace or control characters.
    """
    if value is None or ICON_NAME.fullmatch(value):
        return value
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme.lower(), parts.hostname
    except ValueError:
        scheme, host = "", None
    if (
        len(value) > MAX_ICON
        or scheme not in ("http", "https")
        or not host
        or any(not ch.isprintable() or ch.isspace() or ch in NOT_IN_URLS for ch in value)
    ):
        raise invalid(
            extra=[
                {
                    "path": ["icon"],
                    "message": f"Must be an http(s) URL of at most {MAX_ICON} characters, or an icon name "
                    "of at most 64 letters, digits, '_', '.' or '-'",
                }
            ]
        )
    return value


def _fields(raw: object) -> list[FieldDefinition]:
    try:
        return validate_fields(raw)
    except TypeSchemaError as exc:
        raise invalid(exc) from None


async def credential_counts(session: AsyncSession) -> dict[str, int]:
    """Top-level credentials per type id."""
    rows = await session.execute(
        select(Credential.type_id, func.count()).where(Credential.parent_id.is_(None)).group_by(Credential.type_id)
    )
    return {type_id: count for type_id, count in rows}


async def credential_count(session: AsyncSession, type_id: str) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(Credential)
            .where(Credential.type_id == type_id, Credential.parent_id.is_(None))
        )
    ).scalar_one()


async def get_type(session: AsyncSession, identifier: str) -> CredentialType:
    """By id, else by name (case-insensitive)."""
    ctype = await session.get(CredentialType, identifier)
    if ctype is None:
        ctype = (
            await session.execute(
                select(CredentialType).where(CredentialType.name_key == identifier.strip().casefold())
            )
        ).scalar_one_or_none()
    if ctype is None:
        raise type_not_found(identifier)
    return ctype


async def list_types(session: AsyncSession) -> list[tuple[CredentialType, int]]:
    counts = await credential_counts(session)
    rows = (
        await session.execute(select(CredentialType).order_by(CredentialType.name_key, CredentialType.id))
    ).scalars()
    return [(ctype, counts.get(ctype.id, 0)) for ctype in rows]


async def _flush_unique(session: AsyncSession, name: str) -> None:
    try:
        await session.flush()
    except IntegrityError:
        raise _exists(name) from None


def _exists(name: str) -> ApiError:
    return ApiError(409, f"Credential type with name '{name}' already exists.", "CredentialTypeExists")


async def _ensure_unique(session: AsyncSession, name: str, exclude_id: str | None = None) -> None:
    found = (
        await session.execute(select(CredentialType.id).where(CredentialType.name_key == name.casefold()))
    ).scalar_one_or_none()
    if found is not None and found != exclude_id:
        raise _exists(name)


async def create_type(
    host: Host, session: AsyncSession, *, name: str, fields: object, permission_scope: str | None, icon: str | None
) -> CredentialType:
    cleaned = _name(name)
    scope = _scope(permission_scope)
    icon = _icon(icon)
    definitions = _fields(fields)
    await _ensure_unique(session, cleaned)
    now = utcnow()
    ctype = CredentialType(
        name=cleaned,
        name_key=cleaned.casefold(),
        permission_scope=scope,
        icon=icon,
        fields=fields_to_builtins(definitions),
        created_at=now,
        updated_at=now,
    )
    session.add(ctype)
    await _flush_unique(session, cleaned)
    if scope:
        register_scope(host, scope)
    return ctype


@dataclass
class _Plan:
    """What an update of a type's fields would do to stored values, and what it may not do."""

    drop: frozenset[str]
    droppable: set[str] = field(default_factory=set)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    drop_values: list[tuple[str, str]] = field(default_factory=list)
    drop_subs: list[str] = field(default_factory=list)
    encrypt: list[tuple[str, str]] = field(default_factory=list)


def _at_level(type_id: str, level: str, field_id: str) -> tuple[Any, ...]:
    return (
        Credential.id == CredentialValue.credential_id,
        Credential.type_id == type_id,
        Credential.field_path == level,
        CredentialValue.field_id == field_id,
    )


async def _value_rows(session: AsyncSession, type_id: str, level: str, field_id: str) -> Sequence[CredentialValue]:
    """The stored values of field ``field_id`` of the type's credentials at ``level``."""
    query = select(CredentialValue).join(Credential, and_(*_at_level(type_id, level, field_id)))
    return (await session.execute(query.order_by(CredentialValue.id))).scalars().all()


async def _value_count(session: AsyncSession, type_id: str, level: str, field_id: str) -> int:
    query = (
        select(func.count()).select_from(CredentialValue).join(Credential, and_(*_at_level(type_id, level, field_id)))
    )
    return (await session.execute(query)).scalar_one()


async def _sub_count(session: AsyncSession, type_id: str, path: str) -> int:
    return (
        await session.execute(
            select(func.count())
            .select_from(Credential)
            .where(Credential.type_id == type_id, Credential.field_path == path)
        )
    ).scalar_one()


async def _plan_removal(
    session: AsyncSession, type_id: str, level: str, old: FieldDefinition, plan: _Plan, problem: str
) -> None:
    dotted = child_path(level, old.id)
    plan.droppable.add(dotted)
    if old.is_container:
        count = await _sub_count(session, type_id, dotted)
    else:
        count = await _value_count(session, type_id, level, old.id)
    if not count:
        return
    if dotted not in plan.drop:
        plan.conflicts.append({"field": dotted, "problem": problem, "count": count})
    elif old.is_container:
        plan.drop_subs.append(dotted)
    else:
        plan.drop_values.append((level, old.id))


SECURE_VALUE_TYPE_PROBLEM = (
    "The valueType of a secure field cannot change while credentials hold values for it (they are not "
    "decrypted to check them); clear or migrate the values first, or remove the field with dropFields"
)


def _fits(row: CredentialValue, value_type: str) -> bool:
    """Whether a stored plaintext value is valid for ``value_type`` (secure values are never checked)."""
    try:
        validate_value(value_type, row.value, field_id=row.field_id)
    except FieldValueError:
        return False
    return True


async def _plan_level(
    session: AsyncSession,
    ring: Keyring,
    type_id: str,
    old: Sequence[FieldDefinition],
    new: Sequence[FieldDefinition],
    level: str,
    plan: _Plan,
) -> None:
    changes = diff_fields(old, new)
    old_by_id = {d.id: d for d in old}
    for removed in changes.removed:
        await _plan_removal(
            session, type_id, level, old_by_id[removed], plan, "Credentials hold values for this removed field"
        )
    for change in changes.changed:
        dotted = child_path(level, change.id)
        if change.old.is_container != change.new.is_container:
            await _plan_removal(
                session, type_id, level, change.old, plan, "Credentials hold values for this field, whose kind changes"
            )
            continue
        if change.old.is_container:
            await _plan_level(
                session, ring, type_id, change.old.subFields or [], change.new.subFields or [], dotted, plan
            )
            continue
        if not (change.value_type_changed or change.secure_changed):
            continue
        rows = await _value_rows(session, type_id, level, change.id)
        if not rows:
            continue
        if change.old.secure and not change.new.secure:
            plan.conflicts.append(
                {
                    "field": dotted,
                    "problem": "A secure field cannot become non-secure while credentials hold values for it",
                    "count": len(rows),
                }
            )
            continue
        if change.value_type_changed and (change.old.secure or any(row.secure for row in rows)):
            plan.conflicts.append({"field": dotted, "problem": SECURE_VALUE_TYPE_PROBLEM, "count": len(rows)})
            continue
        if change.value_type_changed:
            bad = sum(1 for row in rows if not _fits(row, change.new.valueType))
            if bad:
                plan.conflicts.append(
                    {
                        "field": dotted,
                        "problem": f"Stored values are not valid {change.new.valueType} values",
                        "count": bad,
                    }
                )
                continue
        if change.new.secure and not change.old.secure:
            plan.encrypt.append((level, change.id))


async def _apply_plan(session: AsyncSession, ring: Keyring, caller: Caller, type_id: str, plan: _Plan) -> None:
    now = utcnow()
    dropped: dict[str, list[str]] = defaultdict(list)
    encrypted: dict[str, list[str]] = defaultdict(list)
    for level, field_id in plan.drop_values:
        rows = await _value_rows(session, type_id, level, field_id)
        for row in rows:
            dropped[row.credential_id].append(field_id)
        for part in chunks([r.id for r in rows]):
            await session.execute(delete(CredentialValue).where(CredentialValue.id.in_(part)))
    for path in plan.drop_subs:
        subs = (
            (
                await session.execute(
                    select(Credential)
                    .where(Credential.type_id == type_id, Credential.field_path != "")
                    .order_by(Credential.field_path, Credential.id)
                )
            )
            .scalars()
            .all()
        )
        removed = [c for c in subs if c.field_path == path or c.field_path.startswith(path + PATH_SEPARATOR)]
        for sub in removed:
            await audit.record(session, caller, audit.DELETE, sub, detail={"reason": "type-field-removed"})
            if sub.field_path == path and sub.parent_id is not None:
                dropped[sub.parent_id].append(path.rpartition(PATH_SEPARATOR)[2])
        await session.flush()
        for part in chunks([c.id for c in removed if c.field_path == path]):
            await session.execute(delete(Credential).where(Credential.id.in_(part)))
    for level, field_id in plan.encrypt:
        for row in await _value_rows(session, type_id, level, field_id):
            row.value = ring.encrypt(row.value, credential_id=row.credential_id, field_id=row.field_id)
            row.secure = True
            row.key_id = ring.current_kid
            row.updated_at = now
            encrypted[row.credential_id].append(field_id)
    for credential_id in sorted(set(dropped) | set(encrypted)):
        credential = await session.get(Credential, credential_id)
        if credential is None:
            continue
        if credential_id in dropped:
            credential.updated_at = now
        detail = {"reason": "type-updated"}
        if credential_id in dropped:
            detail["dropped"] = sorted(set(dropped[credential_id]))
        if credential_id in encrypted:
            detail["encrypted"] = sorted(set(encrypted[credential_id]))
        await audit.record(
            session,
            caller,
            audit.UPDATE,
            credential,
            field_ids=sorted(set(dropped[credential_id]) | set(encrypted[credential_id])),
            detail=detail,
        )


async def _change_fields(
    session: AsyncSession, ring: Keyring, caller: Caller, ctype: CredentialType, raw: object, drop: Sequence[str]
) -> list[FieldDefinition]:
    new = _fields(raw)
    plan = _Plan(drop=frozenset(drop))
    await _plan_level(session, ring, ctype.id, type_definitions(ctype), new, "", plan)
    unknown: list[ErrorDetail] = [
        {
            "path": ["dropFields", i],
            "message": "Not a field this update removes or turns into or out of multi_credential",
        }
        for i, entry in enumerate(drop)
        if entry not in plan.droppable
    ]
    if unknown:
        raise invalid(extra=unknown)
    if plan.conflicts:
        names = ", ".join(c["field"] for c in plan.conflicts)
        raise ApiError(
            409,
            f"This change would destroy or expose stored values of field(s) {names}; keep the field(s), "
            "or list removed ones in dropFields to delete their values.",
            "FieldChangeConflict",
            conflicts=plan.conflicts,
        )
    await _apply_plan(session, ring, caller, ctype.id, plan)
    return new


async def update_type(
    host: Host,
    session: AsyncSession,
    caller: Caller,
    type_id: str,
    *,
    name: str | None = None,
    icon: str | None = None,
    set_icon: bool = False,
    permission_scope: str | None = None,
    set_scope: bool = False,
    fields: object = None,
    drop_fields: Sequence[str] = (),
) -> CredentialType:
    """PATCH a type; changing anything of a scoped type needs its scope node too."""
    await lock_row(session, CredentialType, type_id)
    ctype = await get_type_by_id(session, type_id)
    require_scope(host, caller, ctype)
    if drop_fields and fields is None:
        raise invalid(extra=[{"path": ["dropFields"], "message": "Only allowed together with fields"}])
    if name is not None:
        cleaned = _name(name)
        await _ensure_unique(session, cleaned, exclude_id=ctype.id)
        ctype.name = cleaned
        ctype.name_key = cleaned.casefold()
    if set_scope:
        ctype.permission_scope = _scope(permission_scope)
        if ctype.permission_scope:
            register_scope(host, ctype.permission_scope)
    if set_icon:
        ctype.icon = _icon(icon)
    if fields is not None:
        new = await _change_fields(session, keyring(host), caller, ctype, fields, drop_fields)
        ctype.fields = fields_to_builtins(new)
    ctype.updated_at = utcnow()
    await _flush_unique(session, ctype.name)
    return ctype


async def delete_type(host: Host, session: AsyncSession, caller: Caller, type_id: str) -> None:
    """Delete a type and every credential of it (each deletion audited)."""
    await lock_row(session, CredentialType, type_id)
    ctype = await get_type_by_id(session, type_id)
    require_scope(host, caller, ctype)
    credentials = (
        (
            await session.execute(
                select(Credential).where(Credential.type_id == ctype.id).order_by(Credential.field_path, Credential.id)
            )
        )
        .scalars()
        .all()
    )
    for credential in credentials:
        await audit.record(session, caller, audit.DELETE, credential, detail={"reason": "type-deleted"})
    await session.flush()
    await session.execute(delete(CredentialType).where(CredentialType.id == ctype.id))
