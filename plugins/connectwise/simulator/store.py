"""The in-memory records of the simulated site, with parent links, id counters and a clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from .records import BASE_DATE, Record
from .resources import SPECS
from .schema import FieldSchema


class RecordStore:
    """Records per collection keyed by id; thread-safe (the app may run on another thread's loop).

    Tests may read and change records directly (``store.get("companies", 250)["name"] = "X"``);
    use :meth:`ConnectWiseSimulator.touch` instead when the change should bump ``_info`` and fire callbacks.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self._records: dict[str, dict[int, Record]] = {name: {} for name in SPECS}
        self._parents: dict[str, dict[int, int]] = {name: {} for name in SPECS}
        self._next_ids: dict[str, int] = {}
        self._schemas: dict[str, FieldSchema] = {}
        self.lock = threading.RLock()
        self._started = time.monotonic()
        self._last_moment = BASE_DATE
        self._clock = clock

    # clock -------------------------------------------------------------------------------------------
    def now(self) -> datetime:
        """Second-precision UTC "now", never before the seed's base date and never going backwards."""
        if self._clock is not None:
            moment = self._clock()
        else:
            elapsed = timedelta(seconds=time.monotonic() - self._started)
            moment = max(datetime.now(UTC), BASE_DATE + elapsed)
        moment = moment.replace(microsecond=0)
        with self.lock:
            if moment < self._last_moment:
                moment = self._last_moment
            self._last_moment = moment
        return moment

    # reads -------------------------------------------------------------------------------------------
    def collection(self, name: str) -> dict[int, Record]:
        """The live ``id → record`` mapping of ``name`` (mutating it bypasses validation)."""
        return self._records[name]

    def get(self, name: str, record_id: int) -> Record | None:
        """The stored record (live object), or ``None``."""
        return self._records[name].get(record_id)

    def records(self, name: str, parent_id: int | None = None) -> list[Record]:
        """Records of ``name`` ordered by id; for a sub-resource only those under ``parent_id``."""
        with self.lock:
            records = self._records[name]
            if parent_id is None:
                return [records[key] for key in sorted(records)]
            parents = self._parents[name]
            return [records[key] for key in sorted(records) if parents.get(key) == parent_id]

    def parent_of(self, name: str, record_id: int) -> int | None:
        """The parent id of a sub-resource record."""
        return self._parents[name].get(record_id)

    def count(self, name: str) -> int:
        """How many records ``name`` holds."""
        return len(self._records[name])

    def find(self, name: str, field: str, value: Any) -> Record | None:
        """The first record whose ``field`` equals ``value`` (strings case-insensitively)."""
        folded = value.casefold() if isinstance(value, str) else value
        for record in self._records[name].values():
            stored = record.get(field)
            if (stored.casefold() if isinstance(stored, str) else stored) == folded:
                return record
        return None

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    # writes ------------------------------------------------------------------------------------------
    def next_id(self, name: str) -> int:
        """A fresh id for ``name``: one past the largest ever used."""
        with self.lock:
            current = self._next_ids.get(name)
            if current is None:
                current = max(self._records[name], default=0) + 1
            self._next_ids[name] = current + 1
            return current

    def put(self, name: str, record: Record, parent_id: int | None = None) -> Record:
        """Store ``record`` (it must carry ``id``), replacing any record with that id."""
        with self.lock:
            record_id = int(record["id"])
            self._records[name][record_id] = record
            if parent_id is not None:
                self._parents[name][record_id] = parent_id
            if self._next_ids.get(name, 0) <= record_id:
                self._next_ids[name] = record_id + 1
            self._schemas.pop(name, None)
            return record

    def remove(self, name: str, record_id: int) -> Record | None:
        """Remove one record and, recursively, the sub-resources under it."""
        with self.lock:
            record = self._records[name].pop(record_id, None)
            self._parents[name].pop(record_id, None)
            self._schemas.pop(name, None)
            if record is not None:
                for child in (spec.name for spec in SPECS.values() if spec.parent == name):
                    for child_id in [key for key, parent in self._parents[child].items() if parent == record_id]:
                        self.remove(child, child_id)
            return record

    def changed(self, name: str) -> None:
        """Forget the cached schema of ``name`` after changing its records in place."""
        self._schemas.pop(name, None)

    def schema(self, name: str) -> FieldSchema:
        """The fields ``name``'s records carry (cached until the collection changes)."""
        with self.lock:
            schema = self._schemas.get(name)
            if schema is None:
                spec = SPECS[name]
                schema = FieldSchema.learn(
                    self._records[name].values(),
                    extra=(*spec.extra_fields, *spec.references, *spec.required),
                    references=spec.references,
                )
                self._schemas[name] = schema
            return schema
