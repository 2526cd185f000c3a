"""What a failed ConnectWise call raises: :class:`ConnectWiseError`, an ``ApiError`` routes can let through.

Every error keeps what ConnectWise said in attributes (``code``, ``cw_status``, ``cw_errors``,
``method``, ``path``) for logs and for code that wants to react; the answered envelope carries only
``status``, ``message`` and ``error``. Messages never contain credentials, headers or URLs with secrets.

How ConnectWise outcomes map to the status our API answers (after the retries of ``retry.py``):

==============================================  ======  ====================================
ConnectWise outcome                             status  ``error``
==============================================  ======  ====================================
400 (``InvalidObject``, ...) and other 4xx      same    ``ConnectWise<Code>``, e.g.
                                                        ``ConnectWiseInvalidObject``; message
                                                        forwarded as-is
404                                             404     ``ConnectWiseNotFound``
401 / 403                                       502     ``ConnectWiseAuthFailed``
4xx with code ``Security`` ("SSL is required")  502     ``ConnectWiseMisconfigured``
429 still throttled after the retries           503     ``ConnectWiseThrottled``
5xx after the retries, connection failures      502     ``ConnectWiseUnavailable``
success status with a body that is not the      502     ``ConnectWiseBadResponse``
JSON we expect (malformed, wrong type), 3xx
no answer within the timeout                    504     ``ConnectWiseTimeout``
client built without site or credentials        503     ``ConnectWiseNotConfigured``
==============================================  ======  ====================================

Why 401/403 become 502: the caller of our API is authenticated by us, not by ConnectWise; when
ConnectWise refuses the integration's API member it is our configuration (keys, company id, member
permissions) that is wrong, and a 401 would wrongly tell the caller to sign in again. 502 says "the
upstream we depend on failed". A 404 on a cloud site can also mean bad authentication; ConnectWise gives
no way to tell the two apart, so it stays a 404.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from optima_platform.http.errors import ApiError

_STATUS_NAMES = {
    400: "BadRequest",
    405: "MethodNotAllowed",
    406: "NotAcceptable",
    409: "Conflict",
    410: "Gone",
    412: "PreconditionFailed",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "UnprocessableEntity",
}


class ConnectWiseError(ApiError):
    """Base of every ConnectWise failure; an ``ApiError`` so routes answer it as an error envelope."""

    def __init__(
        self,
        status: int,
        message: str,
        error: str,
        *,
        code: str | None = None,
        cw_status: int | None = None,
        cw_errors: list[dict[str, Any]] | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(status, message, error)
        self.code = code
        self.cw_status = cw_status
        self.cw_errors = cw_errors or []
        self.method = method
        self.path = path

    def __repr__(self) -> str:
        where = f" {self.method} {self.path}" if self.method else ""
        return (
            f"{type(self).__name__}(status={self.status}, error={self.error!r}, "
            f"cw_status={self.cw_status}, code={self.code!r}{where}: {self.message!r})"
        )


class ConnectWiseRequestRejected(ConnectWiseError):
    """ConnectWise refused the request with a 4xx that is the caller's to see (status forwarded)."""


class ConnectWiseNotFound(ConnectWiseRequestRejected):
    """ConnectWise answered 404: the record (or endpoint) does not exist."""


class ConnectWiseAuthFailed(ConnectWiseError):
    """ConnectWise answered 401/403: our integration's credentials or permissions are wrong (502)."""


class ConnectWiseMisconfigured(ConnectWiseError):
    """ConnectWise refused how we reach it (e.g. plain HTTP to a cloud site): fix the site setting (502)."""


class ConnectWiseNotConfigured(ConnectWiseError):
    """The client has no site or credentials to talk to ConnectWise with (503)."""

    def __init__(self, message: str) -> None:
        super().__init__(503, message, "ConnectWiseNotConfigured")


class ConnectWiseThrottled(ConnectWiseError):
    """ConnectWise kept answering 429 through every retry (503); ``retry_after`` is its last hint."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(503, message, "ConnectWiseThrottled", **kwargs)
        self.retry_after = retry_after


class ConnectWiseUnavailable(ConnectWiseError):
    """ConnectWise kept failing (5xx, refused or dropped connections) through every retry (502)."""


class ConnectWiseBadResponse(ConnectWiseError):
    """ConnectWise answered something that is not the JSON we expect (502)."""


class ConnectWiseTimeout(ConnectWiseError):
    """ConnectWise did not answer within the timeout (504)."""


class _ErrorBody(msgspec.Struct):
    code: str | None = None
    error: str | None = None
    message: str | None = None
    errors: list[dict[str, Any]] | None = None


def _parse_error_body(content: bytes) -> _ErrorBody:
    try:
        body = msgspec.json.decode(content, type=_ErrorBody, strict=False)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return _ErrorBody()
    if body.errors is not None and not all(isinstance(e, dict) for e in body.errors):
        body.errors = None
    return body


def error_name(code: str | None, status: int) -> str:
    """``ConnectWise<Code>`` from ConnectWise's ``code`` (letters and digits only), else from the status."""
    cleaned = re.sub(r"[^A-Za-z0-9]", "", code or "")
    if cleaned:
        return "ConnectWise" + cleaned[0].upper() + cleaned[1:]
    return "ConnectWise" + _STATUS_NAMES.get(status, f"Http{status}")


def error_from_response(status: int, content: bytes, *, method: str, path: str) -> ConnectWiseError:
    """The error for a final non-2xx ConnectWise answer (retries are already exhausted or not allowed)."""
    body = _parse_error_body(content)
    code = body.code or body.error
    details: dict[str, Any] = {
        "code": code,
        "cw_status": status,
        "cw_errors": body.errors,
        "method": method,
        "path": path,
    }
    cw_message = (body.message or "").strip()
    if (code or "").lower() == "security":
        message = f"ConnectWise refused the connection: {cw_message or 'SSL is required'}"
        return ConnectWiseMisconfigured(502, message, "ConnectWiseMisconfigured", **details)
    if status in (401, 403):
        message = (
            f"ConnectWise rejected the integration's credentials ({status}); "
            "check the company id, API keys, client id and the API member's permissions"
        )
        return ConnectWiseAuthFailed(502, message, "ConnectWiseAuthFailed", **details)
    if status == 404:
        return ConnectWiseNotFound(404, cw_message or "Not found in ConnectWise", "ConnectWiseNotFound", **details)
    if status == 429:
        return ConnectWiseThrottled("ConnectWise is throttling our requests; try again shortly", **details)
    if 400 <= status < 500:
        message = cw_message or f"ConnectWise rejected the request ({status})"
        return ConnectWiseRequestRejected(status, message, error_name(code, status), **details)
    if 300 <= status < 400:
        message = f"ConnectWise answered a redirect ({status}); check the ConnectWise site setting"
        return ConnectWiseBadResponse(502, message, "ConnectWiseBadResponse", **details)
    message = f"ConnectWise is unavailable (it answered {status})"
    return ConnectWiseUnavailable(502, message, "ConnectWiseUnavailable", **details)


def bad_response(reason: str, *, method: str, path: str, cw_status: int | None = None) -> ConnectWiseBadResponse:
    """A 502 for a ConnectWise answer we cannot use; ``reason`` says what was wrong with it."""
    return ConnectWiseBadResponse(
        502,
        f"ConnectWise sent a response we could not read: {reason}",
        "ConnectWiseBadResponse",
        cw_status=cw_status,
        method=method,
        path=path,
    )


def unavailable(reason: str, *, method: str, path: str) -> ConnectWiseUnavailable:
    """A 502 for a request that never got an answer (connection refused, reset, dropped)."""
    return ConnectWiseUnavailable(
        502, f"ConnectWise is unavailable: {reason}", "ConnectWiseUnavailable", method=method, path=path
    )


def timed_out(seconds: float, *, method: str, path: str) -> ConnectWiseTimeout:
    """A 504 for a request ConnectWise did not answer within ``seconds``."""
    return ConnectWiseTimeout(
        504,
        f"ConnectWise did not answer within {seconds:g} seconds",
        "ConnectWiseTimeout",
        method=method,
        path=path,
    )
