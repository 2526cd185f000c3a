"""Exception handlers: every error the app answers, in the spec's envelope, from this one place."""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from sqlalchemy.exc import IntegrityError

from optima_platform.http.envelope import error_body
from optima_platform.http.errors import ApiError

log = logging.getLogger("optima.http")

MESSAGES = {
    401: "Unauthorized",
    403: "Insufficient permissions",
    404: "Resource not found",
    405: "Method not allowed",
    413: "Request body is too large",
    429: "Too many requests",
    500: "Internal server error",
}


def _error_name(status: int) -> str:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "Error"
    return "".join(word.capitalize() for word in re.split(r"[^A-Za-z]+", phrase) if word)


def _key_path(key: str) -> list[Any]:
    """``a.b[2].c`` → ``["a", "b", 2, "c"]``."""
    return [int(p) if p.isdigit() else p for p in re.split(r"\.|\[|\]", key) if p]


def _validation_errors(exc: ValidationException) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    extra = exc.extra if isinstance(exc.extra, list) else [exc.extra] if exc.extra else []
    for item in extra:
        if not isinstance(item, dict):
            out.append({"path": [], "message": str(item)})
            continue
        message = str(item.get("message", "Invalid value"))
        key = str(item.get("key") or "")
        path: list[Any] = []
        if "- at `$" in message:
            message, _, at = message.partition(" - at `$")
            path = _key_path(at.rstrip("`"))
        elif key and key != "data":
            path = _key_path(key)
        else:
            named = re.search(r"(?:missing required field|unknown field) `([^`]+)`", message)
            path = [named.group(1)] if named else []
            if re.fullmatch(r"'\w+'", message):  # Litestar's KeyError for an absent body
                message = "A JSON request body is required"
        out.append({"path": path, "message": message})
    return out or [{"path": [], "message": exc.detail}]


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[Any]:
    return Response(exc.body(), status_code=exc.status, headers=exc.headers or None)


def _wire_names(request: Request[Any, Any, Any]) -> dict[str, str]:
    """Handler argument name → the query/header name clients send (``include_address`` → ``includeAddress``)."""
    names: dict[str, str] = {}
    try:
        parameters = request.route_handler.parsed_fn_signature.parameters
    except Exception:
        return names
    for name, field in parameters.items():
        wire = getattr(field.kwarg_definition, "name", None) or getattr(field.kwarg_definition, "query", None)
        if isinstance(wire, str) and wire != name:
            names[name] = wire
    return names


def validation_handler(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = _validation_errors(exc)
    names = _wire_names(request)
    for error in errors:
        if error["path"] and error["path"][0] in names:
            error["path"][0] = names[error["path"][0]]
    body = error_body(400, "Validation error", "ValidationError", errors=errors)
    return Response(body, status_code=400)


def http_exception_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    message = MESSAGES.get(status) or (exc.detail if status < 500 else "Internal server error")
    if status == 400 and exc.detail and exc.detail != "Bad Request":
        message = exc.detail
    headers = dict(exc.headers or {})
    return Response(error_body(status, message, _error_name(status)), status_code=status, headers=headers)


def integrity_error_handler(request: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    """A uniqueness or reference clash that a concurrent request won: 409, never a 500."""
    log.info("integrity conflict on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
    body = error_body(409, "The change conflicts with existing data; reload and try again.", "Conflict")
    return Response(body, status_code=409)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response(error_body(500, "Internal server error", "InternalServerError"), status_code=500)


EXCEPTION_HANDLERS: dict[Any, Any] = {
    ApiError: api_error_handler,
    ValidationException: validation_handler,
    IntegrityError: integrity_error_handler,
    HTTPException: http_exception_handler,
    Exception: internal_error_handler,
}
