"""The plugin's one ConnectWise client: opened at start-up, kept in ``host.state``, rate limited.

ConnectWise throttles integrations at roughly 1000 requests a minute; ``RateLimitedTransport`` keeps
every request this process sends below ``rate_limit_per_minute`` (retries included) by delaying,
never failing, the request that would exceed it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

import httpx
from optima_connectwise.client import ConnectWiseClient, ConnectWiseNotConfigured
from optima_connectwise.settings import ConnectWiseSettings

from optima_platform.host import Host

PLUGIN = "connectwise"
STATE_KEY = "connectwise.client"


class RateLimitedTransport(httpx.AsyncBaseTransport):
    """At most ``limit`` requests start in any ``window`` seconds (``limit`` 0: no limit)."""

    def __init__(self, limit: int, *, window: float = 60.0, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.limit = limit
        self.window = window
        self.inner = inner or httpx.AsyncHTTPTransport()
        self._starts: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def _wait_turn(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                while self._starts and now - self._starts[0] >= self.window:
                    self._starts.popleft()
                if len(self._starts) < self.limit:
                    self._starts.append(now)
                    return
                await asyncio.sleep(self.window - (now - self._starts[0]))

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.limit > 0:
            await self._wait_turn()
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def settings_of(host: Host) -> ConnectWiseSettings:
    """The validated ``[plugins.connectwise]`` settings (defaults when introspecting)."""
    settings = host.settings_for(PLUGIN)
    return settings if settings is not None else ConnectWiseSettings()


def open_client(settings: ConnectWiseSettings) -> ConnectWiseClient:
    """A client for the configured site, rate limited as the settings say."""
    limits = httpx.Limits(max_connections=settings.max_concurrency, max_keepalive_connections=settings.max_concurrency)
    transport = RateLimitedTransport(settings.rate_limit_per_minute, inner=httpx.AsyncHTTPTransport(limits=limits))
    return ConnectWiseClient(settings.client_config(), transport=transport)


def client_of(host: Host) -> ConnectWiseClient:
    """The client opened at start-up; 503 ``ConnectWiseNotConfigured`` when there is none."""
    client = host.state.get(STATE_KEY)
    if client is None:
        raise ConnectWiseNotConfigured("ConnectWise is not connected (the connectwise plugin has not started)")
    return client
