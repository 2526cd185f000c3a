"""Roles: create, find by id or moniker, change permissions (merge without duplicates), delete."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import Role
from optima_platform.host import Host
from optima_platform.http.errors import ApiError, validation_error
from optima_platform.permissions.matcher import is_valid_entry

MONIKER = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,99}$")
PROTECTED = {"admin"}


def role_not_found(identifier: str) -> ApiError:
    return ApiError(404, f"Role with identifier '{identifier}' was not found.", "RoleNotFound")


def check_entries(host: Host, entries: list[str], field: str) -> None:
    """400 (validation shape) unless every entry is a known node or a wildcard over known nodes."""
    errors = []
    for i, entry in enumerate(entries):
        if not is_valid_entry(entry):
            errors.append({"path": [field, i], "message": f"'{entry}' is not a permission node"})
        elif not host.permissions.is_known(entry):
            errors.append({"path": [field, i], "message": f"Unknown permission node '{entry}'"})
    if errors:
        raise validation_error(errors)


def check_not_protected(role: Role) -> None:
    """The admin role always holds ``*``: its permissions cannot be changed (no lock-out)."""
    if role.moniker in PROTECTED:
        raise ApiError(400, f"The '{role.moniker}' role's permissions cannot be changed.", "ProtectedRole")


def check_moniker(moniker: str) -> None:
    if not MONIKER.match(moniker):
        raise validation_error(
            [{"path": ["moniker"], "message": "Moniker must be lowercase letters, digits, '_', '-' or '.'"}]
        )


async def get_role(session: AsyncSession, identifier: str) -> Role:
    """By id, else by moniker (a moniker may look like another role's id: the id wins)."""
    role = await session.get(Role, identifier)
    if role is None:
        role = (await session.execute(select(Role).where(Role.moniker == identifier))).scalar_one_or_none()
    if role is None:
        raise role_not_found(identifier)
    return role


async def roles_by_identifiers(session: AsyncSession, identifiers: list[str]) -> Sequence[Role]:
    if not identifiers:
        return []
    found = (
        (await session.execute(select(Role).where(or_(Role.id.in_(identifiers), Role.moniker.in_(identifiers)))))
        .scalars()
        .all()
    )
    by_id = {r.id: r for r in found}
    by_moniker = {r.moniker: r for r in found}
    chosen: dict[str, Role] = {}
    for identifier in identifiers:
        role = by_id.get(identifier) or by_moniker.get(identifier)
        if role is None:
            raise role_not_found(identifier)
        chosen[role.id] = role
    return list(chosen.values())


async def ensure_unique_moniker(session: AsyncSession, moniker: str, exclude_id: str | None = None) -> None:
    existing = (await session.execute(select(Role).where(Role.moniker == moniker))).scalar_one_or_none()
    if existing is not None and existing.id != exclude_id:
        raise ApiError(409, f"Role with moniker '{moniker}' already exists.", "RoleExists")


async def list_roles(session: AsyncSession) -> Sequence[Role]:
    return (await session.execute(select(Role).order_by(Role.moniker))).scalars().all()
