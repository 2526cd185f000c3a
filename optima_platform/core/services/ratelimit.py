"""Fixed-window rate limits per client address (Redis ``INCR`` when configured, else in memory)."""

from __future__ import annotations

import time

from optima_platform.host import Host
from optima_platform.http.errors import ApiError

_memory: dict[str, tuple[int, float]] = {}


async def hit(host: Host, bucket: str, address: str, limit: int, window: int = 60) -> None:
    """Count one request; 429 (with ``Retry-After`` in the body) once ``limit`` is passed."""
    if limit <= 0:
        return
    slot = int(time.time() // window)
    key = f"{host.settings.cache_prefix}:ratelimit:{bucket}:{address}:{slot}"
    redis = host.stores.redis
    if redis is not None:
        count = await redis.incr(key)
        if count == 1:
            await redis.expire(key, window)
    else:
        count, expires = _memory.get(key, (0, 0.0))
        now = time.monotonic()
        if expires < now:
            count, expires = 0, now + window
            for stale in [k for k, (_, e) in _memory.items() if e < now]:
                _memory.pop(stale, None)
        count += 1
        _memory[key] = (count, expires)
    if count > limit:
        retry = window - int(time.time()) % window
        raise ApiError(
            429,
            "Too many requests; try again shortly.",
            "TooManyRequests",
            headers={"Retry-After": str(retry)},
            retryAfter=retry,
        )
