"""Leases: at most one holder of a name at a time, across every instance sharing the cache.

In Redis a lease is ``SET key token NX PX ttl`` (released or extended only by its holder, via a
compare-and-set script); in memory it is a dict guarded by the event loop (one instance only).
"""

from __future__ import annotations

import secrets
import time

from redis.asyncio import Redis

_EXTEND = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  if tonumber(ARGV[2]) <= 0 then return redis.call('del', KEYS[1]) end
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""


class Leases:
    """Acquire, extend and release named leases; ``acquire`` returns a token or None."""

    def __init__(self, redis: Redis | None, prefix: str = "optima:lease") -> None:
        self.redis = redis
        self.prefix = prefix
        self._memory: dict[str, tuple[str, float]] = {}

    def _key(self, name: str) -> str:
        return f"{self.prefix}:{name}"

    async def acquire(self, name: str, ttl: float) -> str | None:
        token = secrets.token_hex(16)
        if self.redis is not None:
            ok = await self.redis.set(self._key(name), token, nx=True, px=max(1, int(ttl * 1000)))
            return token if ok else None
        now = time.monotonic()
        held = self._memory.get(name)
        if held is not None and held[1] > now:
            return None
        self._memory[name] = (token, now + ttl)
        return token

    async def extend(self, name: str, token: str, ttl: float) -> bool:
        """Set the lease to expire ``ttl`` seconds from now (``ttl <= 0`` releases it)."""
        if self.redis is not None:
            return bool(await self.redis.eval(_EXTEND, 1, self._key(name), token, int(ttl * 1000)))
        held = self._memory.get(name)
        if held is None or held[0] != token:
            return False
        if ttl <= 0:
            del self._memory[name]
        else:
            self._memory[name] = (token, time.monotonic() + ttl)
        return True

    async def release(self, name: str, token: str) -> bool:
        return await self.extend(name, token, 0)
