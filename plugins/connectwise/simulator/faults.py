"""Run-time fault injection: errors, latency, throttling, hangs and malformed bodies, count-based."""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, fields
from typing import Any, Literal

FaultKind = Literal["hang", "throttle", "error", "malformed"]


@dataclass
class FaultSettings:
    """The switchable faults; every field defaults to "off"."""

    #: Fraction (0..1) of API calls that answer 500; deterministic: a running total fires each whole call.
    error_rate: float = 0.0
    #: The next N API calls answer 500.
    error_burst: int = 0
    #: Seconds added to every API call.
    latency: float = 0.0
    #: The next N API calls answer 429 with ``Retry-After``.
    throttle_burst: int = 0
    #: Seconds the 429s ask the client to wait (header and message).
    retry_after: int = 30
    #: Seconds a hanging call waits before answering (the client normally times out first).
    timeout: float = 0.0
    #: How many of the next calls hang for ``timeout`` seconds.
    timeout_burst: int = 0
    #: The next N API calls answer 200 with a truncated, invalid JSON body.
    malformed: int = 0
    #: Only API paths containing this text (case-insensitive) are affected; empty means all.
    path_contains: str = ""


@dataclass(frozen=True)
class FaultPlan:
    """What to do to one call, decided when it arrives."""

    latency: float = 0.0
    hang: float = 0.0
    throttle: int | None = None
    error: bool = False
    malformed: bool = False


class FaultControls:
    """Thread-safe fault switches for the simulator (``sim.faults``) and ``/__sim__/faults``.

    ``set(**changes)`` updates some settings; setting ``timeout`` without ``timeout_burst`` hangs one
    call. ``reset()`` turns everything off. Each call consumes at most one burst, in the order
    hang → throttle → error → malformed; ``latency`` applies to every call.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._settings = FaultSettings()
        self._error_total = 0.0
        self.injected: dict[FaultKind, int] = {"hang": 0, "throttle": 0, "error": 0, "malformed": 0}

    @property
    def settings(self) -> FaultSettings:
        """A copy of the current settings."""
        with self._lock:
            return FaultSettings(**asdict(self._settings))

    def as_dict(self) -> dict[str, Any]:
        """The current settings as JSON-ready data."""
        return asdict(self.settings)

    def set(self, **changes: Any) -> FaultSettings:
        """Change some settings; unknown names or bad values raise ``ValueError``."""
        names = {field.name for field in fields(FaultSettings)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {', '.join(unknown)}")
        coerced = {name: _coerce(name, value) for name, value in changes.items()}
        if not 0.0 <= coerced.get("error_rate", 0.0) <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        with self._lock:
            for name, value in coerced.items():
                setattr(self._settings, name, value)
            if "timeout" in coerced and "timeout_burst" not in coerced and self._settings.timeout > 0:
                self._settings.timeout_burst = max(self._settings.timeout_burst, 1)
            return FaultSettings(**asdict(self._settings))

    def reset(self) -> None:
        """Turn every fault off."""
        with self._lock:
            self._settings = FaultSettings()
            self._error_total = 0.0
            self.injected = {"hang": 0, "throttle": 0, "error": 0, "malformed": 0}

    def throttle(self, calls: int, retry_after: int = 30) -> None:
        """The next ``calls`` API calls answer 429 asking to retry after ``retry_after`` seconds."""
        self.set(throttle_burst=calls, retry_after=retry_after)

    def fail(self, calls: int) -> None:
        """The next ``calls`` API calls answer 500."""
        self.set(error_burst=calls)

    def hang(self, seconds: float, calls: int = 1) -> None:
        """The next ``calls`` API calls wait ``seconds`` before answering."""
        self.set(timeout=seconds, timeout_burst=calls)

    def malform(self, calls: int) -> None:
        """The next ``calls`` API calls answer 200 with a truncated JSON body."""
        self.set(malformed=calls)

    def plan(self, path: str) -> FaultPlan:
        """Decide (and consume) the faults for one API call to ``path``."""
        with self._lock:
            settings = self._settings
            if settings.path_contains and settings.path_contains.lower() not in path.lower():
                return FaultPlan()
            latency = settings.latency
            if settings.timeout_burst > 0 and settings.timeout > 0:
                settings.timeout_burst -= 1
                self.injected["hang"] += 1
                return FaultPlan(latency=latency, hang=settings.timeout)
            if settings.throttle_burst > 0:
                settings.throttle_burst -= 1
                self.injected["throttle"] += 1
                return FaultPlan(latency=latency, throttle=settings.retry_after)
            if settings.error_burst > 0:
                settings.error_burst -= 1
                self.injected["error"] += 1
                return FaultPlan(latency=latency, error=True)
            if settings.error_rate > 0:
                self._error_total += settings.error_rate
                if self._error_total >= 1.0 - 1e-9:
                    self._error_total -= 1.0
                    self.injected["error"] += 1
                    return FaultPlan(latency=latency, error=True)
            if settings.malformed > 0:
                settings.malformed -= 1
                self.injected["malformed"] += 1
                return FaultPlan(latency=latency, malformed=True)
            return FaultPlan(latency=latency)


def _coerce(name: str, value: Any) -> Any:
    try:
        if name == "path_contains":
            return "" if value is None else str(value)
        if name in ("error_rate", "latency", "timeout"):
            number = float(value)
            if number < 0:
                raise ValueError
            return number
        number = int(value)
        if number < 0 or isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
            raise ValueError
        return number
    except (TypeError, ValueError):
        raise ValueError(f"fault setting {name} must be a non-negative number, not {value!r}") from None
