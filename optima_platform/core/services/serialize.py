"""Wire shapes of core objects (camelCase keys, ISO timestamps with milliseconds and ``Z``)."""

from __future__ import annotations

from typing import Any

from optima_platform.core.models import Company, Role, User
from optima_platform.db.base import iso


def user_json(user: User, *, role_ids: bool = False) -> dict[str, Any]:
    roles = sorted(user.roles, key=lambda r: r.moniker)
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "login": user.login,
        "image": user.image,
        "roles": [r.id if role_ids else r.moniker for r in roles],
        "permissions": list(user.permissions or []),
        "createdAt": iso(user.created_at),
        "updatedAt": iso(user.updated_at),
    }


def role_json(role: Role) -> dict[str, Any]:
    return {
        "id": role.id,
        "title": role.title,
        "moniker": role.moniker,
        "permissions": list(role.permissions or []),
        "createdAt": iso(role.created_at),
        "updatedAt": iso(role.updated_at),
    }


def company_json(company: Company) -> dict[str, Any]:
    return {
        "id": company.id,
        "name": company.name,
        "cw_CompanyId": company.cw_company_id,
        "cw_Identifier": company.cw_identifier,
        "createdAt": iso(company.created_at),
        "updatedAt": iso(company.updated_at),
    }
