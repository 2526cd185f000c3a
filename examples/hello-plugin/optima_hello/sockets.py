"""The plugin's Socket.IO events on the ``/hello`` namespace (``hello:greeted`` is emitted by a route)."""

from __future__ import annotations

from typing import Any

from optima_hello import service
from optima_platform.hooks.contributions import SocketEvent
from optima_platform.host import Host

NAMESPACE = "/hello"


async def ping(host: Host, sid: str, data: Any = None) -> dict[str, Any]:
    """``hello:ping {name}`` → acknowledged with ``{message}``."""
    name = data.get("name") if isinstance(data, dict) else None
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        return {"ok": False, "error": "Missing name"}
    return {"ok": True, "message": service.word(host, name.strip())}


EVENTS = [SocketEvent(NAMESPACE, "hello:ping", ping, "Answer a greeting for {name} in the acknowledgement")]
