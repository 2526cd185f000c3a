"""The one exception type every route, service and plugin raises to answer an error envelope."""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error answered as ``{status, message, error, successful: false, **extra}``.

    ``error`` is a short PascalCase name (``NotFound``, ``UserNotFound``); ``extra`` adds keys to the
    body (``missing`` for 403s, ``errors`` for validation). Raise it anywhere below a route handler.
    """

    def __init__(
        self, status: int, message: str, error: str, *, headers: dict[str, str] | None = None, **extra: Any
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.error = error
        self.headers = headers or {}
        self.extra = extra

    def body(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "error": self.error,
            **self.extra,
            "successful": False,
        }


def not_found(message: str, error: str = "NotFound") -> ApiError:
    return ApiError(404, message, error)


def bad_request(message: str, error: str = "BadRequest", **extra: Any) -> ApiError:
    return ApiError(400, message, error, **extra)


def validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """The spec's validation shape: ``errors: [{path: [...], message}]``."""
    return ApiError(400, "Validation error", "ValidationError", errors=errors)
