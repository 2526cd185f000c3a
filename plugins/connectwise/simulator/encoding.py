"""JSON encoding of responses and callback entities, with stored hrefs made absolute."""

from __future__ import annotations

from typing import Any

import msgspec

from .records import HREF_BASE

_ENCODER = msgspec.json.Encoder()
_MARKER = HREF_BASE.encode()


def encode(data: Any, api_base: str) -> bytes:
    """``data`` as compact JSON with every stored href pointing under ``api_base``."""
    body = _ENCODER.encode(data)
    if _MARKER in body:
        body = body.replace(_MARKER, api_base.encode())
    return body


def decode(body: bytes) -> Any:
    """Parse a JSON request body; raises ``msgspec.DecodeError`` when it is not JSON."""
    return msgspec.json.decode(body)
