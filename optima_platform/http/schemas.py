"""OpenAPI shapes of the error envelopes, so the schema documents what the API really answers."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec


class ErrorBody(msgspec.Struct):
    """Every error: ``{status, message, error, successful: false}``."""

    status: int
    message: str
    error: str
    successful: bool = False


class FieldError(msgspec.Struct):
    path: list[str | int]
    message: str


class ValidationErrorBody(msgspec.Struct):
    """400 for a body, query or path value that does not validate."""

    status: int
    message: str
    error: str
    errors: list[FieldError]
    successful: bool = False


class ForbiddenBody(msgspec.Struct):
    """403: the nodes the caller lacks are listed in ``missing``."""

    status: int
    message: str
    error: str
    missing: list[str]
    successful: bool = False


def error_responses(auth: str, has_nodes: bool, path: str = "") -> dict[int, ResponseSpec]:
    """The error responses a route can give, for its ``responses=``."""
    out: dict[int, Any] = {
        400: ResponseSpec(ValidationErrorBody, description="Validation error, malformed or too deeply nested JSON"),
        413: ResponseSpec(ErrorBody, description="Request body over the size limit"),
        500: ResponseSpec(ErrorBody, description="Internal server error"),
    }
    if auth in {"token", "refresh"}:
        out[401] = ResponseSpec(ErrorBody, description="Missing, invalid or expired token")
    if auth == "secret":
        out[403] = ResponseSpec(ErrorBody, description="Wrong or unconfigured secret")
    if has_nodes or auth == "token":
        out[403] = ResponseSpec(ForbiddenBody, description="A required permission node is missing")
    if "{" in path:
        out[404] = ResponseSpec(ErrorBody, description="No such resource")
    if path.startswith("/auth/"):
        out[429] = ResponseSpec(ErrorBody, description="Rate limited; see the Retry-After header")
    return out
