"""Loading credentials with what their responses need (type, company, values, sub-credential ids) in bulk."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import Company

from ..models import Credential, CredentialType, CredentialValue
from ..type_schema import FieldDefinition
from .common import chunks, credential_not_found, type_not_found

PATH_SEPARATOR = "."


def type_definitions(ctype: CredentialType) -> list[FieldDefinition]:
    """A type's stored field definitions (validated when they were stored)."""
    return msgspec.convert(ctype.fields or [], list[FieldDefinition])


def definitions_at(definitions: Sequence[FieldDefinition], field_path: str) -> list[FieldDefinition]:
    """The definitions of the credentials at ``field_path`` (``""``: top level; ``"a.b"``: below a, then b)."""
    current = list(definitions)
    for part in field_path.split(PATH_SEPARATOR) if field_path else ():
        container = next((d for d in current if d.id == part and d.is_container), None)
        if container is None:
            return []
        current = list(container.subFields or [])
    return current


def child_path(field_path: str, field_id: str) -> str:
    return f"{field_path}{PATH_SEPARATOR}{field_id}" if field_path else field_id


@dataclass
class Loaded:
    """A credential with its type, company name, stored values and sub-credential ids per container field."""

    credential: Credential
    ctype: CredentialType
    type_fields: list[FieldDefinition]
    company_name: str | None
    values: dict[str, CredentialValue] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=dict)

    @property
    def definitions(self) -> list[FieldDefinition]:
        return definitions_at(self.type_fields, self.credential.field_path)


async def get_type_by_id(session: AsyncSession, type_id: str) -> CredentialType:
    ctype = await session.get(CredentialType, type_id)
    if ctype is None:
        raise type_not_found(type_id)
    return ctype


async def get_credential(session: AsyncSession, credential_id: str) -> Credential:
    credential = await session.get(Credential, credential_id)
    if credential is None:
        raise credential_not_found(credential_id)
    return credential


async def load_many(session: AsyncSession, credentials: Sequence[Credential]) -> list[Loaded]:
    """Everything the responses of ``credentials`` need, in four queries whatever their number."""
    if not credentials:
        return []
    ids = [c.id for c in credentials]
    type_ids = sorted({c.type_id for c in credentials})
    company_ids = sorted({c.company_id for c in credentials})
    types: dict[str, CredentialType] = {}
    for part in chunks(type_ids):
        types.update(
            {
                t.id: t
                for t in (await session.execute(select(CredentialType).where(CredentialType.id.in_(part)))).scalars()
            }
        )
    companies: dict[str, str] = {}
    for part in chunks(company_ids):
        rows = await session.execute(select(Company.id, Company.name).where(Company.id.in_(part)))
        companies.update({row.id: row.name for row in rows})
    values: dict[str, dict[str, CredentialValue]] = defaultdict(dict)
    children: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for part in chunks(ids):
        for value in (
            await session.execute(select(CredentialValue).where(CredentialValue.credential_id.in_(part)))
        ).scalars():
            values[value.credential_id][value.field_id] = value
        rows = await session.execute(
            select(Credential.id, Credential.parent_id, Credential.field_path)
            .where(Credential.parent_id.in_(part))
            .order_by(Credential.created_at, Credential.id)
        )
        for row in rows:
            children[row.parent_id][row.field_path.rpartition(PATH_SEPARATOR)[2]].append(row.id)
    parsed = {type_id: type_definitions(ctype) for type_id, ctype in types.items()}
    return [
        Loaded(
            credential=c,
            ctype=types[c.type_id],
            type_fields=parsed[c.type_id],
            company_name=companies.get(c.company_id),
            values=dict(values.get(c.id, {})),
            children={k: list(v) for k, v in children.get(c.id, {}).items()},
        )
        for c in credentials
    ]


async def load_one(session: AsyncSession, credential: Credential) -> Loaded:
    return (await load_many(session, [credential]))[0]
