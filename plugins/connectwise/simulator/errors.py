"""ConnectWise error bodies: every failure the simulator answers is one of these, in ConnectWise's shape."""

from __future__ import annotations

from typing import Any


class ConnectWiseError(Exception):
    """An HTTP failure with ConnectWise's body ``{"code", "message", "errors"}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        """The JSON body ConnectWise sends for this error."""
        return {"code": self.code, "message": self.message, "errors": self.errors}


def field_error(code: str, message: str, resource: str, field: str) -> dict[str, Any]:
    """One entry of an error's ``errors`` list."""
    return {"code": code, "message": message, "resource": resource, "field": field}


def invalid_object(resource: str, errors: list[dict[str, Any]], message: str | None = None) -> ConnectWiseError:
    """400 ``InvalidObject``: ``"<resource> object is invalid"`` with the field errors."""
    return ConnectWiseError(400, "InvalidObject", message or f"{resource} object is invalid", errors)


def not_found(resource: str, record_id: int | str) -> ConnectWiseError:
    """404 ``NotFound`` for an unknown record id, worded as ConnectWise words it (``errors: null``)."""
    return ConnectWiseError(404, "NotFound", f"{resource} recordId {record_id} not found", None)


def route_not_found(path: str) -> ConnectWiseError:
    """404 for a path the API does not have."""
    return ConnectWiseError(404, "NotFound", f"No resource was found at '{path}'.", None)


def method_not_allowed(method: str) -> ConnectWiseError:
    """405 for a verb the resource does not support."""
    return ConnectWiseError(
        405, "MethodNotAllowed", f"The requested resource does not support http method '{method}'.", None
    )


def unauthorized(message: str) -> ConnectWiseError:
    """401 ``Unauthorized``; ConnectWise sends ``errors: null`` here."""
    return ConnectWiseError(401, "Unauthorized", message, None)


def server_error(message: str = "An error occurred, please try again.") -> ConnectWiseError:
    """500 ``ConnectWiseApi``."""
    return ConnectWiseError(500, "ConnectWiseApi", message, None)
