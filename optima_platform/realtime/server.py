"""Socket.IO on the API's port at ``/socket.io/``, wrapping the Litestar app.

With Redis configured an ``AsyncRedisManager`` fans events out, so an emit on one instance reaches
sockets connected to another. Plugins add namespaces and handlers through ``optima_socket_events``;
each handler is called as ``handler(host, sid, *args)``.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

import socketio

from optima_platform.hooks.contributions import SocketEvent

if TYPE_CHECKING:
    from optima_platform.host import Host

log = logging.getLogger("optima.realtime")


class Realtime:
    """The Socket.IO server and the events the enabled plugins registered on it."""

    def __init__(self, host: Host, events: list[tuple[str, SocketEvent]]) -> None:
        self.host = host
        self.events = events
        namespaces = sorted({"/", *(event.namespace for _, event in events)})
        manager = (
            socketio.AsyncRedisManager(host.settings.redis_url, channel=f"{host.settings.cache_prefix}-socketio")
            if host.settings.redis_url
            else None
        )
        origins: Any = host.settings.server.cors_origins or "*"
        self.sio = socketio.AsyncServer(
            async_mode="asgi",
            client_manager=manager,
            namespaces=namespaces,
            cors_allowed_origins=origins,
            logger=False,
            engineio_logger=False,
        )
        for _, event in events:
            self.sio.on(event.event, self._bind(event), namespace=event.namespace)

    def _bind(self, event: SocketEvent) -> Any:
        @functools.wraps(event.handler)
        async def handler(*args: Any) -> Any:
            return await event.handler(self.host, *args)

        return handler

    def asgi(self, app: Any) -> socketio.ASGIApp:
        return socketio.ASGIApp(self.sio, other_asgi_app=app, socketio_path="socket.io")

    async def emit(
        self,
        event: str,
        data: Any = None,
        *,
        namespace: str = "/",
        to: str | None = None,
        skip_sid: Any = None,
    ) -> None:
        """Emit to a room or sid (``to``) or to everyone on ``namespace``, across instances."""
        await self.sio.emit(event, data, namespace=namespace, to=to, skip_sid=skip_sid)

    def events_of(self, plugin: str) -> list[str]:
        return [f"{e.namespace} {e.event}" for p, e in self.events if p == plugin]
