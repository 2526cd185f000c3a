"""Effective permissions: the union of a user's roles' nodes and direct nodes, read per request.

Cached in the core namespace under a key that changes whenever the user or any role changes
(``users.perm_version`` and the role epoch), so a role change applies on the very next request.
"""

from __future__ import annotations

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import Role, User, user_roles
from optima_platform.host import Host
from optima_platform.permissions.matcher import Grant, PermissionSet

ROLE_EPOCH_KEY = "role-epoch"


class CachedGrant(msgspec.Struct, array_like=True):
    entry: str
    source: str


def _epoch_key(host: Host) -> str:
    return f"{host.settings.cache_prefix}:core:{ROLE_EPOCH_KEY}"


async def role_epoch(host: Host) -> str:
    """The current role epoch: shared in Redis across instances, per process otherwise."""
    redis = host.stores.redis
    if redis is not None:
        value = await redis.get(_epoch_key(host))
        return value.decode() if value else "0"
    return str(host.state.get("core.role_epoch", 0))


async def bump_role_epoch(host: Host) -> None:
    """Invalidate every cached permission set (call after any role change); atomic in Redis."""
    redis = host.stores.redis
    if redis is not None:
        await redis.incr(_epoch_key(host))
    else:
        host.state["core.role_epoch"] = host.state.get("core.role_epoch", 0) + 1


async def load_grants(session: AsyncSession, user_id: str) -> list[Grant]:
    rows = await session.execute(
        select(Role.moniker, Role.permissions)
        .join(user_roles, user_roles.c.role_id == Role.id)
        .where(user_roles.c.user_id == user_id)
    )
    grants = [Grant(entry, f"role:{moniker}") for moniker, nodes in rows for entry in nodes or ()]
    user = await session.get(User, user_id)
    if user is not None:
        grants += [Grant(entry, "direct") for entry in user.permissions or ()]
    return grants


async def permissions_for(host: Host, session: AsyncSession, user_id: str, perm_version: int) -> PermissionSet:
    settings = host.settings_for("core")
    key = f"perms:{user_id}:{perm_version}:{await role_epoch(host)}"
    store = host.store("core")
    cached = await store.get(key)
    if cached is not None:
        items = msgspec.json.decode(cached, type=list[CachedGrant])
        return PermissionSet(Grant(i.entry, i.source) for i in items)
    grants = await load_grants(session, user_id)
    payload = msgspec.json.encode([CachedGrant(g.entry, g.source) for g in grants])
    await store.set(key, payload, expires_in=settings.permission_cache_ttl)
    return PermissionSet(grants)
