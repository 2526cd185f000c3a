"""The fields a collection's records carry, learnt from the records themselves, and path look-ups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .records import looks_like_datetime

Kind = Literal["str", "number", "bool", "datetime", "reference", "object", "list", "unknown"]
Path = tuple[str, ...]


@dataclass
class FieldSchema:
    """Every field path seen in a collection with its kind; paths through lists are flagged."""

    kinds: dict[Path, Kind] = field(default_factory=dict)
    #: Paths below a list (``communicationItems/value``): usable in ``childConditions`` only.
    under_list: set[Path] = field(default_factory=set)

    @classmethod
    def learn(
        cls, records: Iterable[Mapping[str, Any]], extra: Iterable[str] = (), references: Iterable[str] = ()
    ) -> FieldSchema:
        """The schema of ``records`` plus ``extra`` top-level fields (``references`` among them)."""
        schema = cls()
        for record in records:
            schema._walk(record, (), False)
        reference_names = set(references)
        for name in extra:
            path = (name,)
            if name in reference_names:
                schema._note(path, "reference", False)
                schema._note((name, "id"), "number", False)
                schema._note((name, "name"), "str", False)
            elif path not in schema.kinds:
                schema.kinds[path] = "unknown"
        return schema

    def _note(self, path: Path, kind: Kind, in_list: bool) -> None:
        known = self.kinds.get(path)
        if known is None or known == "unknown":
            self.kinds[path] = kind
        elif known != kind:
            if {known, kind} == {"str", "datetime"}:
                self.kinds[path] = "str"
            elif {known, kind} == {"reference", "object"}:
                self.kinds[path] = "reference"
        if in_list:
            self.under_list.add(path)

    def _walk(self, value: Mapping[str, Any], prefix: Path, in_list: bool) -> None:
        for key, item in value.items():
            path = (*prefix, key)
            if item is None:
                self.kinds.setdefault(path, "unknown")
            elif isinstance(item, bool):
                self._note(path, "bool", in_list)
            elif isinstance(item, int | float):
                self._note(path, "number", in_list)
            elif isinstance(item, str):
                self._note(path, "datetime" if looks_like_datetime(item) else "str", in_list)
            elif isinstance(item, Mapping):
                self._note(path, "reference" if "id" in item else "object", in_list)
                self._walk(item, path, in_list)
            elif isinstance(item, list):
                self._note(path, "list", in_list)
                for element in item:
                    if isinstance(element, Mapping):
                        self._walk(element, path, True)

    def kind(self, path: Path) -> Kind | None:
        """The kind at ``path``, or ``None`` when no record has (or could have) that field."""
        return self.kinds.get(path)

    def top_level(self) -> set[str]:
        """Names of the top-level fields."""
        return {path[0] for path in self.kinds}


def resolve(record: Mapping[str, Any], path: Path) -> list[Any]:
    """Every value at ``path`` in ``record``; lists fan out (any element), missing fields give ``[None]``."""
    values: list[Any] = [record]
    for segment in path:
        next_values: list[Any] = []
        for value in values:
            if isinstance(value, list):
                for element in value:
                    next_values.append(element.get(segment) if isinstance(element, Mapping) else None)
            elif isinstance(value, Mapping):
                next_values.append(value.get(segment))
            else:
                next_values.append(None)
        values = next_values
    flattened: list[Any] = []
    for value in values:
        if isinstance(value, list):
            flattened.extend(value)
        else:
            flattened.append(value)
    return flattened or [None]


def split_path(text: str) -> Path:
    """``"company/id"`` → ``("company", "id")``."""
    return tuple(part for part in text.strip().strip("/").split("/") if part)
