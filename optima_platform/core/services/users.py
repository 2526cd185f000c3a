"""Users: lookup, profile updates, role and direct-permission assignment, deletion."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from optima_platform.core.models import Role, User, user_roles
from optima_platform.core.services.delegation import require_delegable
from optima_platform.core.services.roles import check_entries, roles_by_identifiers
from optima_platform.core.services.tokens import revoke_sessions
from optima_platform.host import Host
from optima_platform.http.errors import ApiError
from optima_platform.permissions.principal import Principal


def user_not_found(identifier: str) -> ApiError:
    return ApiError(404, f"User with identifier '{identifier}' was not found.", "UserNotFound")


async def get_user(session: AsyncSession, identifier: str, *, by_email: bool = True) -> User:
    """By id, or (when ``by_email``) by email, case-insensitively."""
    user = await session.get(User, identifier)
    if user is None and by_email:
        user = (await session.execute(select(User).where(User.email == identifier.lower()))).scalar_one_or_none()
    if user is None:
        raise user_not_found(identifier)
    return user


async def check_delegation(
    session: AsyncSession,
    principal: Principal,
    user: User,
    *,
    roles: list[str] | None,
    permissions: list[str] | None,
) -> None:
    """403 unless the caller holds every node it is about to give ``user`` (new direct nodes, and
    the nodes of roles the user does not have yet)."""
    granting: list[str] = []
    if permissions is not None:
        granting += [p for p in permissions if p not in set(user.permissions or [])]
    if roles is not None:
        held = {r.id for r in user.roles}
        for role in await roles_by_identifiers(session, roles):
            if role.id not in held:
                granting += list(role.permissions or [])
    require_delegable(principal.permissions, granting)


async def list_users(session: AsyncSession) -> Sequence[User]:
    return (await session.execute(select(User).order_by(User.name, User.id))).scalars().all()


async def users_with_role(session: AsyncSession, role: Role) -> Sequence[User]:
    stmt = (
        select(User)
        .join(user_roles, user_roles.c.user_id == User.id)
        .where(user_roles.c.role_id == role.id)
        .options(selectinload(User.roles))
        .order_by(User.name, User.id)
    )
    return (await session.execute(stmt)).scalars().all()


async def update_user(
    host: Host,
    session: AsyncSession,
    user: User,
    *,
    name: str | None = None,
    image: str | msgspec.UnsetType | None = msgspec.UNSET,
    roles: list[str] | None = None,
    permissions: list[str] | None = None,
) -> User:
    if name is not None:
        user.name = name
    if image is not msgspec.UNSET:
        user.image = image
    if roles is not None:
        user.roles = list(await roles_by_identifiers(session, roles))
    if permissions is not None:
        check_entries(host, permissions, "permissions")
        user.permissions = list(dict.fromkeys(permissions))
    if roles is not None or permissions is not None:
        user.perm_version = (user.perm_version or 0) + 1
    await session.flush()
    await session.refresh(user)
    return user


async def delete_user(session: AsyncSession, user: User) -> None:
    """Delete a user; their sessions end first (sockets notice within seconds), then cascade."""
    await revoke_sessions(session, user_id=user.id, reason="user-deleted")
    await session.delete(user)
    await session.flush()


def search_filter(term: str):
    like = f"%{term.lower()}%"
    return or_(User.name.ilike(like), User.email.ilike(like))
