"""Shared model helpers: a declarative base per plugin, cuid-style ids, UTC timestamps."""

from __future__ import annotations

import os
import secrets
import string
import threading
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

_ALPHABET = string.digits + string.ascii_lowercase
_counter = int.from_bytes(os.urandom(3), "big")
_lock = threading.Lock()


def _b36(value: int, width: int) -> str:
    out = []
    while value:
        value, rem = divmod(value, 36)
        out.append(_ALPHABET[rem])
    return "".join(reversed(out)).rjust(width, "0")[-width:]


def new_id() -> str:
    """A cuid-style id: ``c`` + time + counter + randomness, 25 lowercase base-36 characters."""
    global _counter
    with _lock:
        _counter = (_counter + 1) % (36**4)
        count = _counter
    stamp = _b36(int(time.time() * 1000), 8)
    rand = "".join(secrets.choice(_ALPHABET) for _ in range(12))
    return f"c{stamp}{_b36(count, 4)}{rand}"


def utcnow() -> datetime:
    return datetime.now(UTC)


def iso(value: datetime | None) -> str | None:
    """``2026-02-17T00:00:00.000Z``: UTC, milliseconds, ``Z``, as the spec shows."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_base(name: str) -> type[DeclarativeBase]:
    """A declarative base with its own ``MetaData`` (one lineage per plugin)."""

    class Base(DeclarativeBase):
        metadata = MetaData(naming_convention=NAMING, info={"plugin": name})

    Base.__name__ = f"{name.title()}Base"
    return Base


async def lock_row(session: Any, model: Any, row_id: Any) -> None:
    """Take the write lock on one row before reading it, on every backend: a no-op UPDATE locks
    the row on Postgres and takes SQLite's write lock (its driver autocommits earlier reads), so a
    read-check-write cannot interleave. Run it inside ``session.begin()``; an unknown id locks nothing."""
    from sqlalchemy import update

    await session.execute(
        update(model).where(model.id == row_id).values(id=model.id).execution_options(synchronize_session=False)
    )
