"""The spec's success envelope: ``{status, message, data, successful: true}``."""

from __future__ import annotations

from typing import Any

from litestar import Response


def envelope(data: Any, message: str, status: int = 200, **top: Any) -> Response[dict[str, Any]]:
    """A success response; ``top`` adds top-level keys (``pagination``, ``meta``)."""
    body: dict[str, Any] = {"status": status, "message": message, "data": data, **top, "successful": True}
    return Response(body, status_code=status)


def error_body(status: int, message: str, error: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "message": message, "error": error, **extra, "successful": False}
