"""JSON Patch as ConnectWise takes it: ``replace``/``add``/``remove``, case-sensitive paths, whole references."""

from __future__ import annotations

from typing import Any

from .errors import ConnectWiseError, field_error, invalid_object
from .records import Record, clone
from .resources import CollectionSpec

SUPPORTED_OPS = ("replace", "add", "remove")


def _fail(spec: CollectionSpec, field: str, message: str, code: str = "InvalidField") -> ConnectWiseError:
    return invalid_object(spec.resource, [field_error(code, message, spec.resource, field)])


def apply_patch(record: Record, operations: Any, spec: CollectionSpec, known: set[str]) -> Record:
    """A patched copy of ``record``; raises a 400 for a bad document, unknown path or reference sub-path."""
    if not isinstance(operations, list) or not operations:
        raise _fail(spec, "", "The request body must be a JSON Patch array of operations", "InvalidObject")
    patched = clone(record)
    for operation in operations:
        if not isinstance(operation, dict):
            raise _fail(spec, "", "Each patch operation must be an object with op and path", "InvalidObject")
        op = str(operation.get("op", "")).lower()
        raw_path = operation.get("path")
        if op not in SUPPORTED_OPS:
            raise _fail(
                spec, str(raw_path or ""), f"Unsupported patch op {operation.get('op')!r}; use replace, add or remove"
            )
        if not isinstance(raw_path, str) or not raw_path.strip("/"):
            raise _fail(spec, "", 'Each patch operation needs a path such as "name"')
        segments = raw_path.strip("/").split("/")
        head = segments[0]
        if head not in known:
            raise _fail(
                spec, raw_path, f"Cannot find field '{raw_path}' on {spec.resource} (patch paths are case-sensitive)"
            )
        if head in spec.read_only_fields:
            raise _fail(spec, raw_path, f"The field {head} is read-only")
        if len(segments) > 1 and head in spec.references:
            raise _fail(
                spec,
                raw_path,
                f'Replace the whole reference: use path "{head}" with a value such as {{"id": 1}}',
            )
        if op != "remove" and "value" not in operation:
            raise _fail(spec, raw_path, f"The {op} operation needs a value")
        _apply(patched, segments, op, operation.get("value"), spec, raw_path)
    return patched


def _apply(target: Any, segments: list[str], op: str, value: Any, spec: CollectionSpec, raw_path: str) -> None:
    container = target
    for segment in segments[:-1]:
        container = _step(container, segment, spec, raw_path)
    last = segments[-1]
    if isinstance(container, dict):
        if op == "remove" or value is None:
            if last not in container and len(segments) > 1 and op == "remove":
                raise _fail(spec, raw_path, f"Nothing to remove at '{raw_path}'")
            container.pop(last, None)
        else:
            container[last] = clone(value) if isinstance(value, dict | list) else value
        return
    if isinstance(container, list):
        if last == "-" and op == "add":
            container.append(value)
            return
        index = _index(container, last, spec, raw_path, allow_end=op == "add")
        if op == "remove":
            container.pop(index)
        elif op == "add":
            container.insert(index, value)
        else:
            container[index] = value
        return
    raise _fail(spec, raw_path, f"Cannot patch inside '{raw_path}'")


def _step(container: Any, segment: str, spec: CollectionSpec, raw_path: str) -> Any:
    if isinstance(container, dict):
        if segment not in container or not isinstance(container[segment], dict | list):
            raise _fail(spec, raw_path, f"Cannot find field '{raw_path}' on {spec.resource}")
        return container[segment]
    if isinstance(container, list):
        return container[_index(container, segment, spec, raw_path, allow_end=False)]
    raise _fail(spec, raw_path, f"Cannot find field '{raw_path}' on {spec.resource}")


def _index(container: list[Any], segment: str, spec: CollectionSpec, raw_path: str, *, allow_end: bool) -> int:
    if not segment.isdigit():
        raise _fail(spec, raw_path, f"'{segment}' is not an array index in '{raw_path}'")
    index = int(segment)
    limit = len(container) if allow_end else len(container) - 1
    if index > limit:
        raise _fail(spec, raw_path, f"Index {index} is out of range in '{raw_path}'")
    return index
