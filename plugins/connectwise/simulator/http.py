"""Minimal raw-ASGI request and response objects (the simulator needs exact control of headers and bodies)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

import msgspec

from .encoding import decode, encode
from .errors import ConnectWiseError, field_error

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_TYPE = "application/json; charset=utf-8"


class ClientGone(Exception):
    """The client disconnected before the request was read."""


@dataclass
class Request:
    """An HTTP request: lower-cased header names, decoded path, ordered query pairs, whole body."""

    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes
    scheme: str
    host: str
    root_path: str = ""

    def param(self, name: str) -> str | None:
        """The first query parameter called ``name``, matched case-insensitively as ConnectWise does."""
        wanted = name.lower()
        return next((value for key, value in self.query if key.lower() == wanted), None)

    @property
    def origin(self) -> str:
        """``scheme://host`` as the client addressed the server."""
        return f"{self.scheme}://{self.host}{self.root_path}"

    @property
    def url(self) -> str:
        """The absolute URL of the path, without the query."""
        return f"{self.origin}{self.path}"

    def json(self, resource: str = "") -> Any:
        """The parsed JSON body; a ConnectWise 400 when it is empty or not JSON."""
        if not self.body.strip():
            message = "The request body is empty."
            raise ConnectWiseError(400, "InvalidObject", message, [field_error("InvalidObject", message, resource, "")])
        try:
            return decode(self.body)
        except msgspec.DecodeError:
            message = "The request body is not valid JSON."
            raise ConnectWiseError(
                400, "InvalidObject", message, [field_error("InvalidObject", message, resource, "")]
            ) from None


async def read_request(scope: Scope, receive: Receive) -> Request:
    """Read the whole request from ASGI; raises :class:`ClientGone` on an early disconnect."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    headers: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin-1").lower()
        value = raw_value.decode("latin-1")
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    server = scope.get("server") or ("127.0.0.1", 80)
    host = headers.get("host") or f"{server[0]}:{server[1]}"
    raw_path = scope.get("raw_path")
    path = unquote(raw_path.decode("latin-1").split("?", 1)[0]) if raw_path else scope.get("path", "/")
    return Request(
        method=scope.get("method", "GET").upper(),
        path=path,
        query=parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True),
        headers=headers,
        body=b"".join(chunks),
        scheme=scope.get("scheme", "http"),
        host=host,
        root_path=scope.get("root_path", ""),
    )


@dataclass
class Response:
    """An HTTP response about to be sent."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str | None = JSON_TYPE

    def header(self, name: str, value: str) -> Response:
        """Add a header; returns ``self``."""
        self.headers.append((name, value))
        return self


def json_response(status: int, data: Any, api_base: str = "") -> Response:
    """A JSON response with hrefs made absolute under ``api_base``."""
    return Response(status, encode(data, api_base))


def error_response(error: ConnectWiseError, api_base: str = "") -> Response:
    """ConnectWise's error body for ``error`` with its extra headers."""
    response = json_response(error.status, error.body(), api_base)
    for name, value in error.headers.items():
        response.header(name, value)
    return response


async def send_response(send: Send, response: Response) -> None:
    """Write ``response`` to ASGI."""
    headers = [] if response.status == 204 else [(b"content-length", str(len(response.body)).encode())]
    if response.content_type and response.status != 204:
        headers.append((b"content-type", response.content_type.encode()))
    headers.extend((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers)
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})
