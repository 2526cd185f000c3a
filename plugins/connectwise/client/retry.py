"""When the ConnectWise client retries a request, and how long it waits first.

The rule, by what happened to the attempt:

============================================  ==============================  ===================
outcome                                       GET / PUT / DELETE, ``search``  POST / PATCH
============================================  ==============================  ===================
429 Too Many Requests                         retry after ``Retry-After``     retry after
                                                                              ``Retry-After``
connection refused / connect timeout /        retry with backoff              retry with backoff
no free pooled connection (never sent)
5xx                                           retry with backoff              **no retry**
connection dropped, read error, protocol      retry with backoff              **no retry**
error (sent, answer lost)
read / write timeout (sent, no answer)        one retry only                  **no retry**
any other 4xx                                 no retry                        no retry
============================================  ==============================  ===================

POST (create) and PATCH (JSON Patch may ``add`` to arrays) are not idempotent: once the request may
have reached ConnectWise and been processed, sending it again could create a duplicate, so they are
retried only when ConnectWise cannot have processed them — a 429 (rejected before processing) or a
connection that was never established. ``POST …/search`` only reads and is retried like a GET.
Timeouts are retried once at most: a site that sat on a request for the whole timeout rarely answers the
next one faster, and each extra attempt costs the caller another full timeout.

Waits: exponential backoff with full jitter, ``uniform(0, min(backoff_max, backoff_base * 2**attempt))``;
on 429 the ``Retry-After`` header (seconds or an HTTP date) is honoured exactly, capped at
``backoff_max``, and backoff is used when the header is missing or unreadable.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
MAX_TIMEOUT_RETRIES = 1


class Outcome(enum.Enum):
    """What became of one attempt that did not succeed, as far as retrying is concerned."""

    THROTTLED = "throttled"  # 429: ConnectWise refused it before processing
    NOT_SENT = "not_sent"  # the request never reached ConnectWise
    SERVER_ERROR = "server_error"  # 5xx: it may or may not have been processed
    LOST = "lost"  # sent, but the answer was lost: it may have been processed
    TIMED_OUT = "timed_out"  # sent, no answer within the timeout
    FINAL = "final"  # an answer that retrying cannot change (4xx, unusable transport)


def classify_status(status: int) -> Outcome | None:
    """The outcome of an HTTP answer, or ``None`` if it is a success (2xx/3xx are not retried)."""
    if status == 429:
        return Outcome.THROTTLED
    if status >= 500:
        return Outcome.SERVER_ERROR
    if status >= 400:
        return Outcome.FINAL
    return None


def classify_exception(exc: httpx.TransportError) -> Outcome:
    """The outcome of an attempt that raised an httpx transport error."""
    if isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.ConnectError):
        return Outcome.NOT_SENT
    if isinstance(exc, httpx.TimeoutException):
        return Outcome.TIMED_OUT
    if isinstance(exc, httpx.NetworkError | httpx.RemoteProtocolError):
        return Outcome.LOST
    return Outcome.FINAL


def may_retry(outcome: Outcome, *, idempotent: bool) -> bool:
    """Whether an attempt with ``outcome`` may be sent again (the table in the module docstring)."""
    if outcome in (Outcome.THROTTLED, Outcome.NOT_SENT):
        return True
    if outcome in (Outcome.SERVER_ERROR, Outcome.LOST, Outcome.TIMED_OUT):
        return idempotent
    return False


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or HTTP date); ``None`` if unreadable."""
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is unreadable
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max((moment - (now or datetime.now(UTC))).total_seconds(), 0.0)


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to retry and how long to wait; ``rng`` is injectable for tests."""

    max_retries: int = 4
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff before retry number ``attempt + 1`` (``attempt`` from 0)."""
        ceiling = min(self.backoff_max, self.backoff_base * (2 ** min(attempt, 62)))
        return self.rng.uniform(0.0, max(ceiling, 0.0))

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """The wait before the next attempt: ``Retry-After`` capped at ``backoff_max``, else backoff."""
        if retry_after is not None:
            return min(retry_after, self.backoff_max)
        return self.backoff(attempt)

    def should_retry(self, outcome: Outcome, *, attempt: int, idempotent: bool, timeouts: int) -> bool:
        """Whether to send attempt ``attempt + 1`` after ``outcome``; ``timeouts`` counts timed-out ones."""
        if attempt >= self.max_retries or not may_retry(outcome, idempotent=idempotent):
            return False
        return outcome is not Outcome.TIMED_OUT or timeouts <= MAX_TIMEOUT_RETRIES
