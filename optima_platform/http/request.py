"""The request class: JSON bodies are checked for nesting depth and malformed input up front."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import SerializationException
from litestar.serialization import decode_json
from litestar.types import Empty

from optima_platform.http.errors import ApiError

DEFAULT_MAX_DEPTH = 32


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """Whether ``body`` nests arrays/objects deeper than ``limit`` (strings are skipped)."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    in_string = False
    escaped = False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


class OptimaRequest(Request[Any, Any, Any]):
    """A Litestar request whose ``json()`` refuses bodies nested too deep (400) or malformed (400)."""

    async def json(self) -> Any:
        if self._json is Empty:
            cached = self._connection_state.json
            if cached is not Empty:
                self._json = cached
            else:
                self._json = self._connection_state.json = await self._decode()
        return self._json

    async def _decode(self) -> Any:
        body = await self.body()
        host = getattr(self.app.state, "host", None)
        limit = host.settings.server.max_json_depth if host is not None else DEFAULT_MAX_DEPTH
        if body and json_depth_exceeds(body, limit):
            raise ApiError(400, f"JSON body is nested deeper than {limit} levels.", "JsonTooDeep")
        if b"\\u0000" in body:
            raise ApiError(400, "Request body contains a NUL character.", "InvalidCharacter")
        try:
            return decode_json(body or b"null", type_decoders=self.route_handler.resolve_type_decoders())
        except SerializationException:
            raise ApiError(400, "Request body is not valid JSON.", "MalformedJson") from None


def reject_nul_bytes(app: Any) -> Any:
    """ASGI wrapper: a NUL character in the path or query is refused with 400 before routing
    (databases cannot store it, and no identifier or search term contains one)."""
    body = b'{"status":400,"message":"The URL contains a NUL character.","error":"InvalidCharacter","successful":false}'

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope.get("query_string", b"")
            if "\x00" in scope.get("path", "") or b"%00" in query or b"\x00" in query:
                headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
                await send({"type": "http.response.start", "status": 400, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await app(scope, receive, send)

    return asgi


def enveloped_schema_404(app: Any, prefix: str) -> Any:
    """ASGI wrapper: Litestar answers unknown paths under the OpenAPI prefix with an HTML 404 page;
    answer them with the envelope like every other unknown route."""
    body = b'{"status":404,"message":"Resource not found","error":"NotFound","successful":false}'

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(prefix + "/"):
            await app(scope, receive, send)
            return
        replaced = False

        async def send_enveloped(message: dict[str, Any]) -> None:
            nonlocal replaced
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                if message["status"] == 404 and headers.get(b"content-type", b"").startswith(b"text/html"):
                    replaced = True
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 404,
                            "headers": [
                                (b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    return
            elif message["type"] == "http.response.body" and replaced:
                if not message.get("more_body"):
                    await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await app(scope, receive, send_enveloped)

    return asgi
