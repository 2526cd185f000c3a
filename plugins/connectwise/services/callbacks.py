"""ConnectWise callbacks: the secret check, the summary the route answers, and acting on the change.

ConnectWise posts ``{MessageId, Action, Type, ID, MemberId, Entity, ...}`` with ``Entity`` the record
as a JSON *string*. The entity is only read for the summary; what we store is always fetched again
by id (the robust way: deliveries can arrive late, twice or out of order). ``company`` refreshes the
core company row and drops its enrichment cache; ``opportunity`` refreshes the cached opportunity and
emits ``cw:opportunity:updated {id, action}`` on ``/secure``; ``ticket`` and ``activity`` are
acknowledged. A 404 for the record counts as a deletion only when the delivery's ``Action`` is
``deleted``; otherwise (cloud can answer 404 for a request it failed to authenticate) it is logged,
local data is left as it was and nothing is emitted. The refresh runs as a task the request waits on
for at most ``WAIT_SECONDS`` (under ConnectWise's 5 s delivery timeout); a refresh that fails is
logged, leaves the local data as it was, and is still answered 200: the next incremental sync picks
the change up, and answering errors would make ConnectWise retry into the same failure and
eventually disable the callback.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec
from optima_connectwise.client import Callback, ConnectWiseClient, ConnectWiseNotFound
from optima_connectwise.connection import PLUGIN, client_of, settings_of
from optima_connectwise.services import companies
from optima_connectwise.settings import ConnectWiseSettings

from optima_platform.db.base import iso, utcnow
from optima_platform.host import Host
from optima_platform.http.errors import ApiError, bad_request

log = logging.getLogger("optima.connectwise.callbacks")

RESOURCES = ("opportunity", "ticket", "company", "activity")
REFRESHED = ("company", "opportunity")
ACTIONS = ("added", "updated", "deleted")
DEFAULT_REGISTERED = REFRESHED
OPPORTUNITY_EVENT = "cw:opportunity:updated"
SECURE_NAMESPACE = "/secure"
WAIT_SECONDS = 4.0
TASKS_KEY = "connectwise.callback_tasks"
OWNER_OBJECT_ID = 1  # an owner-level callback (every record of its type) names the owner, id 1


def forbidden() -> ApiError:
    """The one answer to a wrong secret and to any call while no secret is configured."""
    return ApiError(403, "Invalid callback secret.", "Forbidden")


def secret_matches(configured: str | None, given: str) -> bool:
    """Constant-time comparison; never true while no secret is configured."""
    if not configured:
        return False
    return hmac.compare_digest(configured.encode(), given.encode())


def _field(body: Mapping[str, Any], name: str) -> Any:
    """``body[name]`` matched case-insensitively (``ID``, ``Id``, ``id``)."""
    if name in body:
        return body[name]
    lowered = name.lower()
    return next((value for key, value in body.items() if key.lower() == lowered), None)


def decode_body(body: Mapping[str, Any]) -> dict[str, Any]:
    """The body with its JSON-encoded string fields (``Entity``, sometimes ``Metadata``) decoded.

    An ``Entity`` that is a string but not a JSON object is a 400: the delivery is malformed.
    """
    parsed: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() == "entity":
            parsed[key] = _entity(value)
        elif isinstance(value, str) and value.lstrip()[:1] in ("{", "["):
            try:
                parsed[key] = msgspec.json.decode(value)
            except msgspec.DecodeError:
                parsed[key] = value
        else:
            parsed[key] = value
    return parsed


def _entity(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = msgspec.json.decode(value)
        except msgspec.DecodeError:
            raise bad_request("The callback's Entity is not valid JSON.", "MalformedCallback") from None
    if value is not None and not isinstance(value, dict):
        raise bad_request("The callback's Entity is not a JSON object.", "MalformedCallback")
    return value


def _text(value: Any) -> Any:
    if isinstance(value, dict):
        return value.get("name")
    return value


def summarize(resource: str, parsed: Mapping[str, Any]) -> dict[str, Any]:
    """The spec's summary of one delivery."""
    entity = _field(parsed, "Entity")
    entity = entity if isinstance(entity, dict) else {}
    info = entity.get("_info") if isinstance(entity.get("_info"), dict) else {}
    return {
        "resource": resource,
        "messageId": _field(parsed, "MessageId"),
        "action": _field(parsed, "Action"),
        "type": _field(parsed, "Type"),
        "id": _field(parsed, "ID"),
        "memberId": _field(parsed, "MemberId"),
        "entityStatus": _text(entity.get("status")),
        "entitySummary": entity.get("summary") or entity.get("name"),
        "entityUpdatedBy": info.get("updatedBy"),
        "entityLastUpdated": info.get("lastUpdated"),
    }


def record_id_of(parsed: Mapping[str, Any]) -> int | None:
    """The changed record's id: ``ID``, else the entity's ``id``; None when neither is a positive integer."""
    entity = _field(parsed, "Entity")
    for value in (_field(parsed, "ID"), entity.get("id") if isinstance(entity, dict) else None):
        if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63:
            return value
    return None


async def refresh_opportunity(host: Host, opportunity_id: int, action: str) -> str:
    """Fetch the opportunity again, cache it and tell ``/secure`` clients; returns the action sent."""
    store = host.store(PLUGIN)
    key = f"opportunity:{opportunity_id}"
    try:
        opportunity = await client_of(host).opportunity(opportunity_id)
    except ConnectWiseNotFound:
        if action != "deleted":
            # on cloud a 404 can mean a failed authentication: trust only the callback's own Action
            log.warning(
                "connectwise: opportunity %s %s but ConnectWise answers 404 for it; local data unchanged",
                opportunity_id,
                action,
            )
            return "not found"
        await store.delete(key)
    else:
        await store.set(key, msgspec.json.encode(opportunity), expires_in=settings_of(host).enrichment_ttl)
    await host.realtime.emit(OPPORTUNITY_EVENT, {"id": opportunity_id, "action": action}, namespace=SECURE_NAMESPACE)
    return action


async def act_on(host: Host, resource: str, record_id: int, action: str) -> str:
    """Refresh what a delivery says changed; returns what was done."""
    if resource == "company":
        return await companies.refresh_company(host, record_id, action)
    if resource == "opportunity":
        return await refresh_opportunity(host, record_id, action)
    return "acknowledged"


def _finished(resource: str, record_id: int) -> Any:
    def report(task: asyncio.Task[str]) -> None:
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            log.info("connectwise callback %s %s: %s", resource, record_id, task.result())
        else:
            message = getattr(error, "message", None) or repr(error)
            log.warning(
                "connectwise callback %s %s: refresh failed, local data unchanged (%s)", resource, record_id, message
            )

    return report


async def handle(host: Host, resource: str, body: Mapping[str, Any] | None) -> dict[str, Any]:
    """Check, summarise and act on one delivery; the route's ``data``."""
    if resource not in RESOURCES:
        raise bad_request(
            f"Unsupported callback resource '{resource[:40]}'; expected one of {', '.join(RESOURCES)}.",
            "UnsupportedResource",
        )
    parsed = decode_body(body or {})
    summary = summarize(resource, parsed)
    log.info(
        "connectwise callback %s: %s %s id=%s by %s (%s)",
        resource,
        summary["action"],
        summary["type"],
        summary["id"],
        summary["memberId"],
        summary["entitySummary"],
    )
    if resource in REFRESHED:
        record_id = record_id_of(parsed)
        if record_id is None:
            raise bad_request(f"The {resource} callback carries no record ID.", "MalformedCallback")
        action = str(summary["action"] or "").lower()
        action = action if action in ACTIONS else "updated"
        task = asyncio.create_task(act_on(host, resource, record_id, action), name=f"cw-callback:{resource}")
        tasks: set[asyncio.Task[str]] = host.state.setdefault(TASKS_KEY, set())
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        task.add_done_callback(_finished(resource, record_id))
        await asyncio.wait({task}, timeout=WAIT_SECONDS)
    return {"resource": resource, "summary": summary, "bodyParsed": parsed, "receivedAt": iso(utcnow())}


async def cancel_pending(host: Host) -> None:
    """Shutdown: stop the refreshes still running."""
    tasks: set[asyncio.Task[str]] = host.state.pop(TASKS_KEY, set())
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task


# --- registration -----------------------------------------------------------------------------------


@dataclass
class Registration:
    """One resource's callback: the registered record and the stale ones removed."""

    resource: str
    callback: Callback
    removed: list[int]


async def register_callbacks(
    cw: ConnectWiseClient,
    settings: ConnectWiseSettings,
    public_url: str,
    resources: Iterable[str] = DEFAULT_REGISTERED,
    *,
    prune: bool = True,
) -> list[Registration]:
    """Make ConnectWise call us on every change of ``resources`` (level ``owner``: all records).

    With ``prune``, our own callbacks for the same resource under the same base URL but another secret
    (a rotated one) are deleted, so ConnectWise stops posting to URLs that answer 403.
    """
    done: list[Registration] = []
    existing = await cw.callbacks() if prune else []
    for resource in resources:
        if resource not in RESOURCES:
            raise ValueError(f"unsupported callback resource {resource!r}; expected one of {', '.join(RESOURCES)}")
        url = settings.callback_url(public_url, resource)
        prefix = url.rsplit("/", 2)[0] + "/"
        removed = []
        for old in existing:
            if (
                old.id is not None
                and old.url
                and old.url != url
                and old.url.startswith(prefix)
                and old.url.endswith(f"/{resource}")
                and (old.type or "").lower() == resource
            ):
                await cw.delete_callback(old.id)
                removed.append(old.id)
        callback = await cw.ensure_callback(
            url,
            type=resource,
            level="owner",
            object_id=OWNER_OBJECT_ID,
            description=f"Optima Platform: {resource} changes",
        )
        done.append(Registration(resource, callback, removed))
    return done


def masked(url: str | None, settings: ConnectWiseSettings) -> str:
    """A callback URL with the secret replaced by ``***``, for output."""
    text = url or ""
    return text.replace(settings.callback_secret, "***") if settings.callback_secret else text
