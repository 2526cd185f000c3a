"""Callback delivery: the records' changes POSTed to registered ``/system/callbacks`` URLs, with retries."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from .credentials import SimulatorCredentials
from .encoding import encode
from .records import Record, compact, format_datetime
from .references import record_path
from .resources import CollectionSpec
from .store import RecordStore

#: The HTTP client ConnectWise's callback sender identifies as.
USER_AGENT = "ConnectWise-Callbacks/2025.1"


@dataclass
class CallbackDelivery:
    """One delivery attempt: where, what, and how it went (``status`` is ``None`` when no answer came)."""

    url: str
    status: int | None
    body: dict[str, Any]
    attempt: int
    callback_id: int
    error: str | None = None
    at: str = ""

    @property
    def ok(self) -> bool:
        """Whether the receiver answered 2xx."""
        return self.status is not None and 200 <= self.status < 300


@dataclass
class CallbackSettings:
    """Timeout per attempt and waits between attempts (ConnectWise: 5 s; retries after 2 s and 4 s)."""

    timeout: float = 5.0
    retry_delays: Sequence[float] = (2.0, 4.0)


def matches(callback: Mapping[str, Any], callback_type: str, record: Mapping[str, Any]) -> bool:
    """Whether a registration wants this change: same ``type``, active, and its ``level``/``objectId`` fit.

    ``owner`` takes every record of the type; a level equal to the type (``company`` for companies)
    takes the record whose id is ``objectId``; any other level names a reference field of the record
    (``status``, ``type``, ``company``, ``board``, ``territory``, …) whose id must be ``objectId``.
    """
    if callback.get("inactiveFlag") or str(callback.get("type", "")).lower() != callback_type:
        return False
    level = str(callback.get("level", "")).lower()
    object_id = callback.get("objectId")
    if level == "owner":
        return True
    if level == callback_type:
        return record.get("id") == object_id
    for key, value in record.items():
        if key.lower() == level and isinstance(value, Mapping):
            return value.get("id") == object_id
        if key.lower() == level + "s" and isinstance(value, list):
            return any(isinstance(item, Mapping) and item.get("id") == object_id for item in value)
    return False


@dataclass
class CallbackDispatcher:
    """Finds the callbacks a change matches and delivers to each in the background, recording attempts."""

    store: RecordStore
    credentials: SimulatorCredentials
    settings: CallbackSettings = field(default_factory=CallbackSettings)
    api_base: str = "http://connectwise.simulator/v2025_1/apis/3.0"
    deliveries: list[CallbackDelivery] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._pending = 0
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def pending(self) -> int:
        """Deliveries still in progress (including waits between retries)."""
        return self._pending

    def payload(
        self, callback: Mapping[str, Any], spec: CollectionSpec, action: str, record: Record, member: str
    ) -> dict[str, Any]:
        """The JSON body ConnectWise posts: ``Entity`` is the record as a JSON *string*."""
        path = record_path(self.store, spec, int(record["id"]))
        return {
            "MessageId": str(uuid.uuid4()),
            "FromUrl": urlsplit(self.api_base).netloc,
            "CompanyId": self.credentials.company_id,
            "MemberId": member,
            "Action": action,
            "Type": spec.callback_type,
            "ID": record["id"],
            "ProductInstanceId": None,
            "PartnerId": None,
            "Entity": encode(compact(record), self.api_base).decode(),
            "Metadata": {"key_url": f"{self.api_base}{path}" if path else None},
            "CallbackObjectRecId": callback["id"],
        }

    def dispatch(self, spec: CollectionSpec, action: str, record: Record, member: str) -> list[asyncio.Task[None]]:
        """Start delivering one change to every matching callback; returns the delivery tasks."""
        callback_type = spec.callback_type
        if callback_type is None:
            return []
        tasks: list[asyncio.Task[None]] = []
        for callback in self.store.records("callbacks"):
            if not matches(callback, callback_type, record):
                continue
            if (
                callback.get("isSelfSuppressedFlag")
                and member == self.credentials.member_identifier
                and callback.get("_info", {}).get("enteredBy") == member
            ):
                continue
            body = self.payload(callback, spec, action, record, member)
            with self._lock:
                self._pending += 1
            task = asyncio.get_running_loop().create_task(
                self._deliver(str(callback["url"]), body, int(callback["id"]))
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            tasks.append(task)
        return tasks

    async def _deliver(self, url: str, body: dict[str, Any], callback_id: int) -> None:
        attempts = 1 + len(self.settings.retry_delays)
        content = encode(body, self.api_base)
        headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT}
        try:
            async with httpx.AsyncClient(timeout=self.settings.timeout) as client:
                for attempt in range(1, attempts + 1):
                    status: int | None = None
                    error: str | None = None
                    try:
                        response = await client.post(url, content=content, headers=headers)
                        status = response.status_code
                    except httpx.HTTPError as exc:
                        error = f"{type(exc).__name__}: {exc}"
                    delivery = CallbackDelivery(
                        url, status, body, attempt, callback_id, error, format_datetime(self.store.now())
                    )
                    with self._lock:
                        self.deliveries.append(delivery)
                    if delivery.ok:
                        return
                    if attempt < attempts:
                        await asyncio.sleep(self.settings.retry_delays[attempt - 1])
        finally:
            with self._lock:
                self._pending -= 1

    async def wait_idle(self, timeout: float = 30.0) -> None:
        """Wait (from any event loop or thread) until no delivery is in progress."""
        deadline = time.monotonic() + timeout
        while self._pending > 0:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self._pending} callback deliveries still pending after {timeout} s")
            await asyncio.sleep(0.01)
