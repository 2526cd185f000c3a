"""The one async ConnectWise client every ConnectWise route and job goes through.

``ConnectWiseClient`` owns addressing (site, codebase discovery, ``apis/3.0``), authentication headers,
paging, conditions, retries, the per-site concurrency cap and the mapping of failures to
:class:`~optima_connectwise.client.errors.ConnectWiseError`. Callers pass record paths such as
``"company/companies"`` and models from ``models.py``; they never build URLs or headers, and the client
never sees our own HTTP requests.

::

    async with ConnectWiseClient(config) as cw:
        company = await cw.get("company/companies/250", Company)
        async for contact in cw.iterate("company/contacts", Contact, conditions=C.field("company/id") == 250):
            ...

Security: the ``Authorization`` header is built once and sent only to the configured origin (paging links
are re-targeted at it, never followed to another host); credentials appear in no message, log line or
``repr``. Plain ``http`` is accepted only for loopback hosts unless ``allow_insecure_http`` is set.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import ipaddress
import logging
import re
import typing
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, TypeVar, overload
from urllib.parse import quote, urlsplit

import httpx
import msgspec

from .conditions import C, Condition, render_conditions, validate_field
from .errors import (
    ConnectWiseError,
    ConnectWiseMisconfigured,
    ConnectWiseNotConfigured,
    ConnectWiseRequestRejected,
    ConnectWiseThrottled,
    bad_response,
    error_from_response,
    timed_out,
    unavailable,
)
from .models import (
    Activity,
    Callback,
    CatalogItem,
    Category,
    Company,
    CompanyInfo,
    Configuration,
    Contact,
    Count,
    Forecast,
    Inventory,
    Manufacturer,
    Member,
    Note,
    Opportunity,
    OpportunityContact,
    OpportunityStatus,
    OpportunityType,
    PatchOp,
    ProcurementProduct,
    Site,
    Stage,
    Subcategory,
)
from .paging import find_link, link_query
from .retry import (
    IDEMPOTENT_METHODS,
    Outcome,
    RetryPolicy,
    classify_exception,
    classify_status,
    parse_retry_after,
)

T = TypeVar("T")

logger = logging.getLogger(__name__)

MAX_PAGE_SIZE = 1000
LONG_CONDITIONS = 2000
"""Conditions longer than this (characters, all kinds together) go in a ``POST …/search`` body."""

LAST_UPDATED = "_info/lastUpdated"
"""The condition field for incremental reads; ConnectWise also accepts ``lastUpdated`` on most endpoints."""

_PATH = re.compile(r"[A-Za-z0-9_\-./]+")
_ORDER_BY = re.compile(r"[A-Za-z_][A-Za-z0-9_/]*(?:\s+(?:asc|desc))?", re.IGNORECASE)
_CONDITION_KEYS = frozenset({"conditions", "childconditions", "customfieldconditions"})
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class ClientConfig(msgspec.Struct, kw_only=True):
    """What the client needs to reach one ConnectWise site (usually built from the plugin's settings).

    ``site`` is a host (``api-na.myconnectwise.net``, ``cw.example.com:8443``; https is implied) or a full
    origin (``https://cw.example.com``, ``http://127.0.0.1:5555``). ``codebase`` (``v2025_1/``) skips
    discovery through ``/login/companyinfo``. ``max_retries`` counts retries after the first attempt.
    """

    site: str | None = None
    company_id: str = ""
    public_key: str = ""
    private_key: str = ""
    client_id: str = ""
    codebase: str | None = None
    api_version: str = "2025.1"
    timeout: float = 15.0
    max_concurrency: int = 8
    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    allow_insecure_http: bool = False

    def __repr__(self) -> str:
        return (
            f"ClientConfig(site={self.site!r}, company_id={self.company_id!r}, public_key=***, "
            f"private_key=***, client_id={self.client_id!r}, codebase={self.codebase!r}, "
            f"api_version={self.api_version!r})"
        )

    __str__ = __repr__

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> ClientConfig:
        """A config from any object or mapping with the same field names (e.g. ``ConnectWiseSettings``)."""
        names = cls.__struct_fields__
        if isinstance(settings, Mapping):
            values = {name: settings[name] for name in names if name in settings}
        else:
            values = {name: getattr(settings, name) for name in names if hasattr(settings, name)}
        values.update(overrides)
        return msgspec.convert(values, cls)

    @property
    def missing(self) -> list[str]:
        """Names of the settings that must be set before the client can talk to ConnectWise."""
        required = ("site", "company_id", "public_key", "private_key", "client_id")
        return [name for name in required if not (getattr(self, name) or "").strip()]


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def normalize_site(site: str, *, allow_insecure_http: bool = False) -> str:
    """The origin (``scheme://host[:port]``) for a configured ``site``; ``ValueError`` if unusable."""
    text = site.strip()
    if "://" not in text:
        text = "https://" + text
    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"ConnectWise site must be an http(s) URL or a host name, not {site!r}")
    if parts.username is not None or parts.password is not None:
        raise ValueError("ConnectWise site must not contain a user name or password")
    if not parts.hostname or parts.query or parts.fragment:
        raise ValueError(f"ConnectWise site must be a host name or an origin like https://host, not {site!r}")
    if parts.path not in ("", "/"):
        raise ValueError(
            f"ConnectWise site {site!r} has a path; give only the host (the codebase and apis/3.0 are added)"
        )
    if scheme == "http" and not (allow_insecure_http or _is_loopback(parts.hostname)):
        raise ValueError(
            f"ConnectWise site {site!r} uses plain http; ConnectWise requires https "
            "(http is accepted for loopback hosts, or with allow_insecure_http)"
        )
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"ConnectWise site {site!r} has an invalid port") from None
    host = parts.hostname
    if ":" in host:
        host = f"[{host}]"
    return f"{scheme}://{host}" + (f":{port}" if port else "")


def normalize_codebase(codebase: str) -> str:
    """``v2025_1/`` from ``v2025_1``, ``/v2025_1/`` or ``v2025_1/``; ``ValueError`` if it is not a path."""
    text = codebase.strip().strip("/")
    if not text or not _PATH.fullmatch(text) or any(seg in ("", ".", "..") for seg in text.split("/")):
        raise ValueError(f"invalid ConnectWise codebase {codebase!r}")
    return text + "/"


def clean_path(path: str) -> str:
    """A record path relative to ``apis/3.0/`` (``company/companies/5``); rejects URLs and traversal."""
    text = path.strip().strip("/")
    if not text or not _PATH.fullmatch(text) or any(seg in ("", ".", "..") for seg in text.split("/")):
        raise ValueError(f"invalid ConnectWise path {path!r}")
    return text


def record_id(value: int) -> int:
    """``value`` as a ConnectWise record id (a positive integer); anything else raises ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"invalid ConnectWise id {value!r}")
    return value


def _fields_param(fields: Sequence[str] | None) -> str | None:
    if fields is None:
        return None
    if isinstance(fields, str):
        fields = [f.strip() for f in fields.split(",")]
    return ",".join(validate_field(f) for f in fields) or None


def _order_by_param(order_by: str | Sequence[str] | None) -> str | None:
    if order_by is None:
        return None
    parts = [p.strip() for p in order_by.split(",")] if isinstance(order_by, str) else [*order_by]
    for part in parts:
        if not _ORDER_BY.fullmatch(part):
            raise ValueError(f"invalid ConnectWise orderBy {part!r}")
    return ", ".join(parts) or None


@functools.lru_cache(maxsize=256)
def _decoder(kind: Any) -> msgspec.json.Decoder[Any]:
    return msgspec.json.Decoder(kind, strict=False)


_ERROR_PATH = re.compile(r"at `\$((?:\.[^.\[`]+|\[\d+\])*)`$")
_PATH_STEP = re.compile(r"\.([^.\[`]+)|\[(\d+)\]")
MAX_COERCIONS = 50


def _id_of(record: Any) -> Any:
    return record.get("id") if isinstance(record, dict) else None


def lenient_convert(raw: Any, kind: Any, *, where: str = "ConnectWise") -> Any:
    """``raw`` (plain JSON values) as ``kind``, with ``strict=False`` and text fields sent as numbers fixed.

    ConnectWise data is messy: a ``zip`` of ``12345`` must not make a company unreadable. When the
    conversion fails on a number where text is expected, the number becomes its text and the
    conversion is tried again (each fix logged); any other mismatch raises ``msgspec.ValidationError``.
    """
    fixed: list[str] = []
    for _ in range(MAX_COERCIONS):
        try:
            value = msgspec.convert(raw, kind, strict=False)
        except msgspec.ValidationError as exc:
            if not _coerce_to_text(raw, str(exc)):
                raise
            fixed.append(str(exc).rsplit("`", 2)[-2])
            continue
        if fixed:
            logger.warning("%s: record id=%s had numbers for text at %s; read them as text", where, _id_of(raw), fixed)
        return value
    raise msgspec.ValidationError(f"more than {MAX_COERCIONS} fields of the wrong type")


def _coerce_to_text(raw: Any, message: str) -> bool:
    """Replace, in place, the int/float the error ``message`` points at when a string was expected."""
    found = _ERROR_PATH.search(message)
    if not found or not message.startswith("Expected `str") or not re.search(r"got `(int|float)`", message):
        return False
    steps = [(key, int(index) if index else None) for key, index in _PATH_STEP.findall(found.group(1))]
    if not steps:
        return False
    container = raw
    for key, index in steps[:-1]:
        try:
            container = container[key] if index is None else container[index]
        except (KeyError, IndexError, TypeError):
            return False
    key, index = steps[-1]
    slot: Any = key if index is None else index
    try:
        value = container[slot]
    except (KeyError, IndexError, TypeError):
        return False
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    container[slot] = str(value)
    return True


class ConnectWiseClient:
    """An async client for one ConnectWise site; use ``async with`` or call :meth:`aclose`.

    Construction raises :class:`ConnectWiseNotConfigured` (an ``ApiError``, 503) when the site or a
    credential is missing and ``ValueError`` when the site is malformed. ``transport`` replaces httpx's
    network transport (e.g. ``httpx.ASGITransport``). At most ``max_concurrency`` requests are in flight
    at once on one client; waiting between retries does not hold a slot.
    """

    def __init__(self, config: ClientConfig, *, transport: httpx.AsyncBaseTransport | None = None) -> None:
        missing = config.missing
        if missing:
            raise ConnectWiseNotConfigured("ConnectWise is not configured (missing " + ", ".join(missing) + ")")
        if config.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if config.timeout <= 0:
            raise ValueError("timeout must be positive")
        self.config = config
        self.origin = normalize_site(config.site or "", allow_insecure_http=config.allow_insecure_http)
        self._codebase = normalize_codebase(config.codebase) if config.codebase else None
        self._codebase_lock = asyncio.Lock()
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        self._policy = RetryPolicy(
            max_retries=max(config.max_retries, 0),
            backoff_base=max(config.backoff_base, 0.0),
            backoff_max=max(config.backoff_max, 0.0),
        )
        token = f"{config.company_id}+{config.public_key}:{config.private_key}".encode()
        self._authorization = "Basic " + base64.b64encode(token).decode("ascii")
        self._no_forward_only: set[str] = set()
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(config.timeout),
            limits=httpx.Limits(
                max_connections=config.max_concurrency, max_keepalive_connections=config.max_concurrency
            ),
            follow_redirects=False,
        )

    def __repr__(self) -> str:
        return f"ConnectWiseClient(origin={self.origin!r}, codebase={self._codebase!r})"

    async def __aenter__(self) -> ConnectWiseClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the pooled connections; the client cannot be used afterwards."""
        await self._http.aclose()

    # -- addressing ------------------------------------------------------------------------------

    async def codebase(self) -> str:
        """The site's codebase (``v2025_1/``): configured, or discovered once and cached."""
        if self._codebase is not None:
            return self._codebase
        async with self._codebase_lock:
            if self._codebase is None:
                self._codebase = await self._discover_codebase()
        return self._codebase

    async def company_info(self) -> CompanyInfo:
        """``GET /login/companyinfo/{companyId}``: the company's name, codebase and version."""
        path = "login/companyinfo/" + quote(self.config.company_id, safe="")
        try:
            response = await self._send(
                "GET", f"{self.origin}/{path}", display="login/companyinfo", authenticated=False
            )
        except ConnectWiseRequestRejected as exc:
            raise ConnectWiseMisconfigured(
                502,
                "ConnectWise does not recognise the configured company id; check the company_id setting",
                "ConnectWiseMisconfigured",
                code=exc.code,
                cw_status=exc.cw_status,
                method="GET",
                path="login/companyinfo",
            ) from None
        return self._decode(response, CompanyInfo, method="GET", path="login/companyinfo")

    async def _discover_codebase(self) -> str:
        info = await self.company_info()
        try:
            return normalize_codebase(info.codebase or "")
        except ValueError:
            raise bad_response(
                "login/companyinfo has no usable Codebase", method="GET", path="login/companyinfo"
            ) from None

    async def base_url(self) -> str:
        """``{origin}/{codebase}apis/3.0/``."""
        return f"{self.origin}/{await self.codebase()}apis/3.0/"

    async def url_for(self, path: str) -> str:
        """The absolute URL of a record path such as ``company/companies/250``."""
        return await self.base_url() + clean_path(path)

    def _headers(self, *, authenticated: bool = True, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        headers = {
            "Accept": f"application/vnd.connectwise.com+json; version={self.config.api_version}",
            "Content-Type": "application/json",
            "clientId": self.config.client_id,
        }
        if authenticated:
            headers["Authorization"] = self._authorization
        else:
            headers["Accept"] = "application/json"
        if extra:
            headers.update(extra)
        return headers

    # -- the request loop ------------------------------------------------------------------------

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        attempt_timeout: float | None = None,
    ) -> httpx.Response:
        """Send one request to ``apis/3.0/{path}`` with retries; the 2xx response, else ``ConnectWiseError``.

        ``json`` (a dict, list or msgspec Struct) is encoded with msgspec. ``idempotent`` overrides the
        method's default for the retry rule of ``retry.py`` (``POST …/search`` passes ``True``).
        """
        method = method.upper()
        display = clean_path(path)
        url = await self.url_for(display)
        return await self._send(
            method,
            url,
            display=display,
            params=params,
            json=json,
            headers=headers,
            idempotent=idempotent,
            attempt_timeout=attempt_timeout,
        )

    async def _send(
        self,
        method: str,
        url: str,
        *,
        display: str,
        params: Mapping[str, str | int] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        attempt_timeout: float | None = None,
        authenticated: bool = True,
    ) -> httpx.Response:
        if idempotent is None:
            idempotent = method in IDEMPOTENT_METHODS
        content = msgspec.json.encode(json) if json is not None else None
        request_headers = self._headers(authenticated=authenticated, extra=headers)
        seconds = attempt_timeout if attempt_timeout is not None else self.config.timeout
        attempt = timeouts = 0
        ambiguous = False
        while True:
            response: httpx.Response | None = None
            failure: httpx.TransportError | None = None
            async with self._semaphore:
                try:
                    response = await self._http.request(
                        method,
                        url,
                        params=params,
                        content=content,
                        headers=request_headers,
                        timeout=httpx.Timeout(seconds),
                    )
                except httpx.TransportError as exc:
                    failure = exc
            if response is not None:
                outcome = classify_status(response.status_code)
                if outcome is None:
                    if 300 <= response.status_code < 400:
                        raise error_from_response(response.status_code, response.content, method=method, path=display)
                    return response
                if method == "DELETE" and response.status_code == 404 and ambiguous:
                    # an earlier attempt may already have deleted it: gone is what was asked for
                    return response
            else:
                assert failure is not None
                outcome = classify_exception(failure)
            if outcome is Outcome.TIMED_OUT:
                timeouts += 1
            if outcome in (Outcome.SERVER_ERROR, Outcome.LOST, Outcome.TIMED_OUT):
                ambiguous = True
            retry_after = None
            if response is not None and outcome is Outcome.THROTTLED:
                retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if not self._policy.should_retry(outcome, attempt=attempt, idempotent=idempotent, timeouts=timeouts):
                raise self._final_error(response, failure, retry_after, method=method, path=display, seconds=seconds)
            delay = self._policy.delay(attempt, retry_after)
            logger.warning(
                "ConnectWise %s %s failed (%s); retry %d of %d in %.2fs",
                method,
                display,
                response.status_code if response is not None else type(failure).__name__,
                attempt + 1,
                self._policy.max_retries,
                delay,
            )
            await asyncio.sleep(delay)
            attempt += 1

    @staticmethod
    def _final_error(
        response: httpx.Response | None,
        failure: httpx.TransportError | None,
        retry_after: float | None,
        *,
        method: str,
        path: str,
        seconds: float,
    ) -> ConnectWiseError:
        if response is not None:
            error = error_from_response(response.status_code, response.content, method=method, path=path)
            if isinstance(error, ConnectWiseThrottled):
                error.retry_after = retry_after
            return error
        if isinstance(failure, httpx.TimeoutException):
            return timed_out(seconds, method=method, path=path)
        reason = {
            httpx.ConnectError: "could not connect",
            httpx.RemoteProtocolError: "the connection was closed without a complete answer",
            httpx.ReadError: "the connection failed while reading the answer",
            httpx.WriteError: "the connection failed while sending the request",
        }.get(type(failure), f"transport error ({type(failure).__name__})")
        return unavailable(reason, method=method, path=path)

    @staticmethod
    def _decode(
        response: httpx.Response,
        kind: type[T] | Any,
        *,
        method: str,
        path: str,
        on_invalid: Callable[[Any], None] | None = None,
    ) -> T:
        """The body as ``kind``; a body that fails typed decoding is converted leniently.

        The fallback decodes the body as plain JSON and converts it (for ``list[Model]``: record by
        record) with :func:`lenient_convert`. A list record that still does not fit is left out with a
        warning naming its id and handed to ``on_invalid``; a single record that does not fit, a body
        of the wrong overall shape, or a body that is not JSON at all is ``ConnectWiseBadResponse``.
        """
        try:
            return _decoder(kind).decode(response.content)
        except msgspec.ValidationError as exc:
            typed_error = exc
        except msgspec.DecodeError as exc:
            raise bad_response(
                f"not valid JSON ({exc})", method=method, path=path, cw_status=response.status_code
            ) from None
        try:
            raw = msgspec.json.decode(response.content)
        except msgspec.DecodeError as exc:
            raise bad_response(
                f"not valid JSON ({exc})", method=method, path=path, cw_status=response.status_code
            ) from None
        shape_error = bad_response(
            f"unexpected shape ({typed_error})", method=method, path=path, cw_status=response.status_code
        )
        where = f"ConnectWise {method} {path}"
        if typing.get_origin(kind) is list:
            if not isinstance(raw, list):
                raise shape_error
            (model,) = typing.get_args(kind)
            items: list[Any] = []
            for record in raw:
                try:
                    items.append(lenient_convert(record, model, where=where))
                except msgspec.ValidationError as exc:
                    logger.warning("%s: skipped record id=%s that we cannot read (%s)", where, _id_of(record), exc)
                    if on_invalid is not None:
                        on_invalid(record)
            return items  # type: ignore[return-value]
        try:
            return lenient_convert(raw, kind, where=where)
        except msgspec.ValidationError:
            raise shape_error from None

    # -- single records --------------------------------------------------------------------------

    async def get(self, path: str, model: type[T], *, fields: Sequence[str] | None = None) -> T:
        """``GET`` one record decoded as ``model``."""
        params = {"fields": f} if (f := _fields_param(fields)) else None
        response = await self.request("GET", path, params=params)
        return self._decode(response, model, method="GET", path=clean_path(path))

    async def get_raw(self, path: str, *, fields: Sequence[str] | None = None) -> dict[str, Any]:
        """``GET`` one record as ConnectWise sent it (a JSON object)."""
        return await self.get(path, dict[str, Any], fields=fields)  # type: ignore[arg-type]

    @overload
    async def create(self, path: str, body: Any) -> dict[str, Any]: ...
    @overload
    async def create(self, path: str, body: Any, model: type[T]) -> T: ...
    async def create(self, path: str, body: Any, model: Any = None) -> Any:
        """``POST`` a new record (ConnectWise answers 201 with it); the record as ``model`` or a dict."""
        response = await self.request("POST", path, json=body)
        return self._decode(response, model or dict[str, Any], method="POST", path=clean_path(path))

    @overload
    async def put(self, path: str, body: Any) -> dict[str, Any]: ...
    @overload
    async def put(self, path: str, body: Any, model: type[T]) -> T: ...
    async def put(self, path: str, body: Any, model: Any = None) -> Any:
        """``PUT`` (replace) a record with the whole ``body``; the stored record as ``model`` or a dict.

        A model body sends only the fields that are set, and ConnectWise replaces the record with it;
        to change a few fields use :meth:`patch`.
        """
        response = await self.request("PUT", path, json=body)
        return self._decode(response, model or dict[str, Any], method="PUT", path=clean_path(path))

    @overload
    async def patch(self, path: str, ops: Sequence[PatchOp]) -> dict[str, Any]: ...
    @overload
    async def patch(self, path: str, ops: Sequence[PatchOp], model: type[T]) -> T: ...
    async def patch(self, path: str, ops: Sequence[PatchOp], model: Any = None) -> Any:
        """``PATCH`` a record with JSON Patch operations (see ``models.replace``); the updated record."""
        ops = list(ops)
        if not ops or not all(isinstance(op, PatchOp) for op in ops):
            raise ValueError("patch() needs a non-empty list of PatchOp")
        response = await self.request("PATCH", path, json=ops)
        return self._decode(response, model or dict[str, Any], method="PATCH", path=clean_path(path))

    async def delete(self, path: str) -> None:
        """``DELETE`` a record (ConnectWise answers 204); a 404 raises ``ConnectWiseNotFound``.

        The exception: when an earlier attempt of this same call may have been processed (its answer was
        lost, or it got a 5xx) and the retry answers 404, the record is gone as asked and this returns.
        """
        await self.request("DELETE", path)

    # -- lists -----------------------------------------------------------------------------------

    async def count(
        self,
        path: str,
        *,
        conditions: Condition | None = None,
        child_conditions: Condition | None = None,
        custom_field_conditions: Condition | None = None,
    ) -> int:
        """The number of records at a list path (``GET {path}/count`` → ``{"count": N}``)."""
        target = clean_path(path)
        if not target.endswith("/count"):
            target += "/count"
        params = _condition_params(conditions, child_conditions, custom_field_conditions)
        response = await self.request("GET", target, params=params or None)
        return self._decode(response, Count, method="GET", path=target).count

    async def pages(
        self,
        path: str,
        model: type[T],
        *,
        conditions: Condition | None = None,
        child_conditions: Condition | None = None,
        custom_field_conditions: Condition | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        forward_only: bool | None = None,
        params: Mapping[str, str | int] | None = None,
        on_invalid: Callable[[Any], None] | None = None,
    ) -> AsyncIterator[list[T]]:
        """Each page of a list as a list of ``model``; see :meth:`iterate` for the arguments."""
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        order = _order_by_param(order_by)
        if order and forward_only:
            raise ValueError("ConnectWise does not allow orderBy with forward-only pagination")
        target = clean_path(path)
        if params and _CONDITION_KEYS & {key.lower() for key in params}:
            raise ValueError("pass conditions as Condition objects, not through params")
        cond_params = _condition_params(conditions, child_conditions, custom_field_conditions)
        search = sum(len(v) for v in cond_params.values()) > LONG_CONDITIONS
        use_forward = (forward_only if forward_only is not None else order is None) and not search
        auto_forward = forward_only is None
        if use_forward and auto_forward and target in self._no_forward_only:
            use_forward = False
        query: dict[str, str | int] = {**(params or {}), "pageSize": page_size}
        if order:
            query["orderBy"] = order
        if fl := _fields_param(fields):
            query["fields"] = fl
        if not search:
            query.update(cond_params)
        if not use_forward:
            query["page"] = 1
        kind = list[model]  # type: ignore[valid-type]
        seen: set[tuple[str, str]] = set()
        while True:
            try:
                response = await self._list_request(target, query, cond_params if search else None, use_forward)
            except ConnectWiseRequestRejected as exc:
                if not (use_forward and auto_forward and "pageId" not in query and _refuses_forward_only(exc)):
                    raise
                # this endpoint refuses forward-only paging: fall back to numbered pages, and remember
                self._no_forward_only.add(target)
                use_forward = False
                query["page"] = 1
                continue
            method = "POST" if search else "GET"
            skipped: list[Any] = []

            def skip(record: Any, skipped: list[Any] = skipped) -> None:
                skipped.append(record)
                if on_invalid is not None:
                    on_invalid(record)

            items: list[T] = self._decode(response, kind, method=method, path=target, on_invalid=skip)
            if items:
                yield items
            link_header = response.headers.get("Link")
            next_url = find_link(link_header, "next")
            received = len(items) + len(skipped)
            if not received:
                return
            if next_url is None:
                if link_header is None and not use_forward and received >= page_size:
                    # no Link header at all: some endpoints never send one, so ask for the next page
                    query["page"] = int(query["page"]) + 1
                    continue
                return
            next_query = {k.lower(): v for k, v in link_query(next_url).items()}
            if "pageid" in next_query:
                query.pop("page", None)
                query["pageId"] = next_query["pageid"]
                marker = ("pageId", next_query["pageid"])
            elif "page" in next_query:
                query["page"] = next_query["page"]
                marker = ("page", next_query["page"])
            else:
                raise bad_response("a paging link without page or pageId", method=method, path=target)
            if marker in seen:
                raise bad_response("paging links loop back to a page already read", method=method, path=target)
            seen.add(marker)

    async def _list_request(
        self,
        target: str,
        query: Mapping[str, str | int],
        search_body: Mapping[str, str] | None,
        forward_only: bool,
    ) -> httpx.Response:
        if search_body is not None:
            return await self.request("POST", target + "/search", params=query, json=dict(search_body), idempotent=True)
        headers = {"pagination-type": "forward-only"} if forward_only else None
        return await self.request("GET", target, params=query, headers=headers)

    async def iterate(
        self,
        path: str,
        model: type[T],
        *,
        conditions: Condition | None = None,
        child_conditions: Condition | None = None,
        custom_field_conditions: Condition | None = None,
        order_by: str | Sequence[str] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        forward_only: bool | None = None,
        params: Mapping[str, str | int] | None = None,
        limit: int | None = None,
        on_invalid: Callable[[Any], None] | None = None,
    ) -> AsyncIterator[T]:
        """Every record of a list, page by page, following the ``Link: rel="next"`` header.

        Forward-only paging (``pagination-type: forward-only`` + ``pageId``) is used when ``forward_only``
        is ``None`` and no ``order_by`` is given; if the endpoint refuses it (a 400 about forward-only
        paging) the client falls back to numbered pages and remembers that for the path.
        ``forward_only=False`` forces numbered pages; ``True`` with ``order_by`` is a ``ValueError``.
        Conditions longer than ``LONG_CONDITIONS`` characters are sent in a ``POST {path}/search`` body
        with numbered pages. A page is decoded completely before any of its records is yielded. ``limit``
        stops after that many records. ``params`` adds query parameters, but never conditions. A record
        that cannot be read even leniently is skipped (logged) and passed, as sent, to ``on_invalid``.
        """
        if limit is not None and limit <= 0:
            return
        produced = 0
        async for page in self.pages(
            path,
            model,
            conditions=conditions,
            child_conditions=child_conditions,
            custom_field_conditions=custom_field_conditions,
            order_by=order_by,
            fields=fields,
            page_size=page_size if limit is None else min(page_size, max(limit, 1)),
            forward_only=forward_only,
            params=params,
            on_invalid=on_invalid,
        ):
            for item in page:
                yield item
                produced += 1
                if limit is not None and produced >= limit:
                    return

    async def iterate_raw(self, path: str, **options: Any) -> AsyncIterator[dict[str, Any]]:
        """:meth:`iterate` yielding the records as ConnectWise sent them."""
        async for item in self.iterate(path, dict[str, Any], **options):  # type: ignore[arg-type]
            yield item

    async def list_all(self, path: str, model: type[T], **options: Any) -> list[T]:
        """:meth:`iterate` collected into a list (same keyword arguments)."""
        return [item async for item in self.iterate(path, model, **options)]

    async def list_raw(self, path: str, **options: Any) -> list[dict[str, Any]]:
        """:meth:`list_all` of the records as ConnectWise sent them."""
        return [item async for item in self.iterate_raw(path, **options)]

    # -- system: members and callbacks -----------------------------------------------------------

    async def members(self, *, include_inactive: bool = False) -> list[Member]:
        """Every member (only active ones unless ``include_inactive``)."""
        conditions = None if include_inactive else C.field("inactiveFlag") == False  # noqa: E712
        return await self.list_all("system/members", Member, conditions=conditions)

    async def member(self, member_id: int) -> Member:
        """One member by id."""
        return await self.get(f"system/members/{record_id(member_id)}", Member)

    async def callbacks(self) -> list[Callback]:
        """Every registered callback."""
        return await self.list_all("system/callbacks", Callback)

    async def register_callback(
        self,
        url: str,
        *,
        type: str,
        level: str,
        object_id: int | None = None,
        description: str | None = None,
        inactive: bool = False,
    ) -> Callback:
        """Register a callback (``type`` e.g. ``company``/``opportunity``, ``level`` e.g. ``owner``)."""
        body = Callback(
            url=url,
            type=type,
            level=level,
            object_id=object_id,
            description=description,
            inactive_flag=inactive,
        )
        return await self.create("system/callbacks", body, Callback)

    async def ensure_callback(
        self, url: str, *, type: str, level: str, object_id: int | None = None, description: str | None = None
    ) -> Callback:
        """The active callback with this url/type/level/object, registering it if there is none."""
        for existing in await self.callbacks():
            if (
                existing.url == url
                and (existing.type or "").lower() == type.lower()
                and (existing.level or "").lower() == level.lower()
                and (object_id is None or existing.object_id == object_id)
                and not existing.inactive_flag
            ):
                return existing
        return await self.register_callback(url, type=type, level=level, object_id=object_id, description=description)

    async def delete_callback(self, callback_id: int) -> None:
        """Remove a registered callback."""
        await self.delete(f"system/callbacks/{record_id(callback_id)}")

    # -- companies -------------------------------------------------------------------------------

    async def company(self, company_id: int) -> Company:
        """One company by id."""
        return await self.get(f"company/companies/{record_id(company_id)}", Company)

    def iterate_companies(
        self,
        *,
        conditions: Condition | None = None,
        updated_since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
        on_invalid: Callable[[Any], None] | None = None,
    ) -> AsyncIterator[Company]:
        """Every company matching ``conditions``; ``updated_since`` adds ``_info/lastUpdated > [since]``.

        ``on_invalid`` receives (as sent) each record skipped because it cannot be read.
        """
        since = C.field(LAST_UPDATED) > updated_since if updated_since is not None else None
        return self.iterate(
            "company/companies",
            Company,
            conditions=C.all(conditions, since),
            page_size=page_size,
            on_invalid=on_invalid,
        )

    async def company_sites(self, company_id: int) -> list[Site]:
        """A company's sites."""
        return await self.list_all(f"company/companies/{record_id(company_id)}/sites", Site)

    async def company_contacts(self, company_id: int, *, include_inactive: bool = True) -> list[Contact]:
        """A company's contacts (``company/id = …``), optionally only the active ones."""
        active = None if include_inactive else C.field("inactiveFlag") == False  # noqa: E712
        conditions = C.all(C.field("company/id") == record_id(company_id), active)
        return await self.list_all("company/contacts", Contact, conditions=conditions)

    async def contact(self, contact_id: int) -> Contact:
        """One contact by id."""
        return await self.get(f"company/contacts/{record_id(contact_id)}", Contact)

    async def company_configurations(self, company_id: int) -> list[Configuration]:
        """A company's configurations (``company/id = …``)."""
        conditions = C.field("company/id") == record_id(company_id)
        return await self.list_all("company/configurations", Configuration, conditions=conditions)

    # -- sales -----------------------------------------------------------------------------------

    async def opportunity(self, opportunity_id: int) -> Opportunity:
        """One opportunity by id."""
        return await self.get(f"sales/opportunities/{record_id(opportunity_id)}", Opportunity)

    def iterate_opportunities(
        self,
        *,
        conditions: Condition | None = None,
        updated_since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[Opportunity]:
        """Every opportunity matching ``conditions``; ``updated_since`` adds ``_info/lastUpdated > [since]``."""
        since = C.field(LAST_UPDATED) > updated_since if updated_since is not None else None
        return self.iterate(
            "sales/opportunities", Opportunity, conditions=C.all(conditions, since), page_size=page_size
        )

    async def update_opportunity(self, opportunity_id: int, ops: Sequence[PatchOp]) -> Opportunity:
        """JSON-Patch an opportunity; the updated record."""
        return await self.patch(f"sales/opportunities/{record_id(opportunity_id)}", ops, Opportunity)

    async def opportunity_notes(self, opportunity_id: int) -> list[Note]:
        """An opportunity's notes."""
        return await self.list_all(f"sales/opportunities/{record_id(opportunity_id)}/notes", Note)

    async def opportunity_contacts(self, opportunity_id: int) -> list[OpportunityContact]:
        """An opportunity's contacts (with their roles)."""
        path = f"sales/opportunities/{record_id(opportunity_id)}/contacts"
        return await self.list_all(path, OpportunityContact)

    async def opportunity_forecast(self, opportunity_id: int) -> Forecast:
        """An opportunity's forecast (its product/service lines in ``forecast_items``)."""
        return await self.get(f"sales/opportunities/{record_id(opportunity_id)}/forecast", Forecast)

    async def opportunity_products(self, opportunity_id: int) -> list[ProcurementProduct]:
        """The procurement products of an opportunity (``opportunity/id = …``)."""
        conditions = C.field("opportunity/id") == record_id(opportunity_id)
        return await self.list_all("procurement/products", ProcurementProduct, conditions=conditions)

    async def opportunity_activities(self, opportunity_id: int) -> list[Activity]:
        """The activities of an opportunity (``opportunity/id = …``)."""
        conditions = C.field("opportunity/id") == record_id(opportunity_id)
        return await self.list_all("sales/activities", Activity, conditions=conditions)

    async def opportunity_statuses(self) -> list[OpportunityStatus]:
        """Every opportunity status."""
        return await self.list_all("sales/opportunities/statuses", OpportunityStatus)

    async def opportunity_types(self) -> list[OpportunityType]:
        """Every opportunity type."""
        return await self.list_all("sales/opportunities/types", OpportunityType)

    async def stages(self) -> list[Stage]:
        """Every sales stage."""
        return await self.list_all("sales/stages", Stage)

    # -- procurement -----------------------------------------------------------------------------

    async def catalog_item(self, item_id: int) -> CatalogItem:
        """One catalog item by id."""
        return await self.get(f"procurement/catalog/{record_id(item_id)}", CatalogItem)

    def iterate_catalog(
        self,
        *,
        conditions: Condition | None = None,
        updated_since: datetime | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> AsyncIterator[CatalogItem]:
        """Every catalog item matching ``conditions``; ``updated_since`` adds ``_info/lastUpdated > [since]``."""
        since = C.field(LAST_UPDATED) > updated_since if updated_since is not None else None
        return self.iterate(
            "procurement/catalog", CatalogItem, conditions=C.all(conditions, since), page_size=page_size
        )

    async def catalog_inventory(self, item_id: int) -> list[Inventory]:
        """A catalog item's stock per warehouse bin."""
        return await self.list_all(f"procurement/catalog/{record_id(item_id)}/inventory", Inventory)

    async def categories(self) -> list[Category]:
        """Every procurement category."""
        return await self.list_all("procurement/categories", Category)

    async def subcategories(self) -> list[Subcategory]:
        """Every procurement subcategory."""
        return await self.list_all("procurement/subcategories", Subcategory)

    async def manufacturers(self) -> list[Manufacturer]:
        """Every manufacturer."""
        return await self.list_all("procurement/manufacturers", Manufacturer)


def _refuses_forward_only(error: ConnectWiseRequestRejected) -> bool:
    """Whether a 400 complains about forward-only paging (rather than, say, the conditions)."""
    if error.cw_status != 400:
        return False
    texts = [error.message, *(str(e.get("message", "")) + str(e.get("field", "")) for e in error.cw_errors)]
    return any(word in text.lower() for text in texts for word in ("forward", "pagination", "pageid"))


def _condition_params(
    conditions: Condition | None,
    child_conditions: Condition | None,
    custom_field_conditions: Condition | None,
) -> dict[str, str]:
    rendered = {
        "conditions": render_conditions(conditions),
        "childConditions": render_conditions(child_conditions),
        "customFieldConditions": render_conditions(custom_field_conditions),
    }
    return {key: value for key, value in rendered.items() if value}


__all__ = [
    "LONG_CONDITIONS",
    "MAX_PAGE_SIZE",
    "ClientConfig",
    "ConnectWiseClient",
    "clean_path",
    "normalize_codebase",
    "normalize_site",
    "record_id",
]
