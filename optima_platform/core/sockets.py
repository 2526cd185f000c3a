"""The core plugin's Socket.IO events: the ``/secure`` namespace and the sign-in hand-off on ``/``.

``/secure`` accepts the handshake forms the spec lists (``headers.authorization``,
``auth.authorization``, ``auth.token``), emits ``secure:connected {userId}``, and a watcher on each
instance ends sockets whose session expired, was revoked or whose user was deleted: it emits
``secure:session:expired {reason}`` and disconnects them within ``auth.session_watch_seconds``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from socketio.exceptions import ConnectionRefusedError as SocketRefused
from sqlalchemy import select

from optima_platform.core.models import ApiKey, AuthSession
from optima_platform.core.services import signin
from optima_platform.db.base import utcnow
from optima_platform.hooks.contributions import SocketEvent
from optima_platform.host import Host
from optima_platform.http.guard import parse_authorization

log = logging.getLogger("optima.core.sockets")
SECURE = "/secure"


def _credentials(environ: dict[str, Any], auth: Any) -> tuple[str, str] | None:
    if isinstance(auth, dict):
        if isinstance(auth.get("authorization"), str):
            return parse_authorization(auth["authorization"])
        if isinstance(auth.get("token"), str) and auth["token"]:
            return ("Bearer", auth["token"])
    return parse_authorization(environ.get("HTTP_AUTHORIZATION"))


async def secure_connect(host: Host, sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
    credentials = _credentials(environ, auth)
    principal = None
    if credentials is not None:
        principal = await host.hooks.afirst(
            "optima_authenticate", host=host, scheme=credentials[0], token=credentials[1]
        )
    if principal is None:
        raise SocketRefused("Unauthorized")
    sio = host.realtime.sio
    await sio.save_session(
        sid,
        {"userId": principal.user_id, "sessionId": principal.session_id, "apiKeyId": principal.api_key_id},
        namespace=SECURE,
    )
    await sio.enter_room(sid, f"user:{principal.user_id}", namespace=SECURE)
    host.state.setdefault("core.secure_sockets", {})[sid] = (principal.session_id, principal.api_key_id)
    await sio.emit("secure:connected", {"userId": principal.user_id}, to=sid, namespace=SECURE)
    return True


async def secure_disconnect(host: Host, sid: str, reason: Any = None) -> None:
    host.state.get("core.secure_sockets", {}).pop(sid, None)


async def watch_sessions(host: Host) -> None:
    """Every few seconds: end this instance's ``/secure`` sockets whose session (or API key) is no
    longer live: expired, revoked, or gone with its deleted user."""
    interval = host.settings_for("core").session_watch_seconds
    while True:
        await asyncio.sleep(interval)
        sockets: dict[str, tuple[str | None, str | None]] = dict(host.state.get("core.secure_sockets", {}))
        session_ids = {s for s, _ in sockets.values() if s}
        key_ids = {k for _, k in sockets.values() if k}
        if not sockets:
            continue
        try:
            live = await _live(host, session_ids, key_ids)
        except Exception:
            log.exception("session watcher: database unavailable")
            continue
        for sid, (session_id, key_id) in sockets.items():
            if (session_id or key_id) not in live:
                reason = "session expired or revoked" if session_id else "API key revoked"
                await end_socket(host, sid, reason)


async def _live(host: Host, session_ids: set[str], key_ids: set[str]) -> set[str]:
    live: set[str] = set()
    async with host.db.session() as session:
        if session_ids:
            rows = await session.execute(
                select(AuthSession.id).where(
                    AuthSession.id.in_(session_ids),
                    AuthSession.revoked_at.is_(None),
                    AuthSession.expires_at > utcnow(),
                )
            )
            live |= {row[0] for row in rows}
        if key_ids:
            rows = await session.execute(select(ApiKey.id).where(ApiKey.id.in_(key_ids), ApiKey.revoked_at.is_(None)))
            live |= {row[0] for row in rows}
    return live


async def end_socket(host: Host, sid: str, reason: str) -> None:
    sio = host.realtime.sio
    host.state.get("core.secure_sockets", {}).pop(sid, None)
    with contextlib.suppress(Exception):
        await sio.emit("secure:session:expired", {"reason": reason}, to=sid, namespace=SECURE)
        await asyncio.sleep(0.05)
        await sio.disconnect(sid, namespace=SECURE)


async def auth_subscribe(host: Host, sid: str, data: Any = None) -> dict[str, Any]:
    """``auth:subscribe {callbackKey}``: wait for that sign-in's tokens (delivered at once if ready)."""
    key = data.get("callbackKey") if isinstance(data, dict) else None
    if not isinstance(key, str) or not key or len(key) > 512:
        return {"ok": False, "error": "Missing callbackKey"}
    if not await signin.subscribe(host, key):
        return {"ok": False, "error": "Another client is already waiting on this callbackKey"}
    await host.realtime.sio.enter_room(sid, signin.handoff_room(key), namespace="/")
    pending = await signin.pending_handoff(host, key)
    if pending is not None:
        await host.realtime.emit(pending["event"], pending["body"], namespace="/", to=sid)
    return {"ok": True}


EVENTS = [
    SocketEvent(SECURE, "connect", secure_connect, "Authenticate the handshake; emits secure:connected"),
    SocketEvent(SECURE, "disconnect", secure_disconnect, "Forget the socket"),
    SocketEvent("/", "auth:subscribe", auth_subscribe, "Wait for a sign-in's tokens by callbackKey"),
]
