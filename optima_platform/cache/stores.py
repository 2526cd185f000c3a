"""Cache stores: Litestar's ``MemoryStore`` by default, ``RedisStore`` with ``OPTIMA_REDIS_URL``.

Each plugin gets its own namespace: Redis keys are ``<cache_prefix>_<plugin>:<key>`` (Litestars
``RedisStore.with_namespace``), memory keys ``<plugin>:<key>``.
"""

from __future__ import annotations

from datetime import timedelta

from litestar.stores.base import Store
from litestar.stores.memory import MemoryStore
from litestar.stores.redis import RedisStore
from redis.asyncio import Redis

ROOT_NAMESPACE = "optima"


class PrefixedStore(Store):
    """A namespace over a store that has none of its own (``MemoryStore``)."""

    def __init__(self, inner: Store, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}:{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        await self.inner.set(self._key(key), value, expires_in)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        return await self.inner.get(self._key(key), renew_for)

    async def delete(self, key: str) -> None:
        await self.inner.delete(self._key(key))

    async def delete_all(self) -> None:
        if isinstance(self.inner, MemoryStore):
            async with self.inner._lock:
                for key in [k for k in self.inner._store if k.startswith(self.prefix + ":")]:
                    self.inner._store.pop(key, None)
            return
        await self.inner.delete_all()

    async def exists(self, key: str) -> bool:
        return await self.inner.exists(self._key(key))

    async def expires_in(self, key: str) -> int | None:
        return await self.inner.expires_in(self._key(key))


class Stores:
    """The process's cache: one root store and a namespace per plugin."""

    def __init__(self, redis_url: str | None, prefix: str = ROOT_NAMESPACE) -> None:
        self.redis_url = redis_url
        self.prefix = prefix
        self.redis: Redis | None = Redis.from_url(redis_url) if redis_url else None
        self.root: Store = (
            RedisStore(self.redis, namespace=prefix, handle_client_shutdown=False)
            if self.redis is not None
            else MemoryStore()
        )
        self._namespaces: dict[str, Store] = {}

    @property
    def backend(self) -> str:
        return "redis" if self.redis is not None else "memory"

    def namespace(self, name: str) -> Store:
        """The store for ``name`` (a plugin's name, or ``jobs``/``host`` for the host's own use)."""
        store = self._namespaces.get(name)
        if store is None:
            if isinstance(self.root, RedisStore):
                store = self.root.with_namespace(name)
            else:
                store = PrefixedStore(self.root, name)
            self._namespaces[name] = store
        return store

    async def ping(self) -> None:
        if self.redis is not None:
            await self.redis.ping()
        else:
            await self.root.exists("ping")

    async def close(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
