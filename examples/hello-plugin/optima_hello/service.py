"""What routes, the job, the CLI and the demo share: the wire shape, queries and the tally."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from optima_hello.models import Greeting
from optima_hello.settings import HelloSettings
from optima_platform.db.base import iso

if TYPE_CHECKING:
    from optima_platform.host import Host

PLUGIN = "hello"
TALLY_KEY = "tally"


def settings_of(host: Host) -> HelloSettings:
    return host.settings_for(PLUGIN)


def word(host: Host, name: str, *, shout: bool = False) -> str:
    """``Hello, Ada!`` worded by ``[plugins.hello]``."""
    settings = settings_of(host)
    text = f"{settings.greeting}, {name}{settings.punctuation}"
    return text.upper() if shout else text


def greeting_json(greeting: Greeting) -> dict[str, Any]:
    return {
        "id": greeting.id,
        "name": greeting.name,
        "message": greeting.message,
        "createdBy": greeting.created_by,
        "createdAt": iso(greeting.created_at),
    }


async def count(session: AsyncSession) -> int:
    return (await session.execute(select(func.count()).select_from(Greeting))).scalar_one()


async def page_of(session: AsyncSession, *, page: int, rpp: int) -> tuple[Sequence[Greeting], int]:
    """One page, newest first, and the total."""
    stmt = select(Greeting).order_by(Greeting.created_at.desc(), Greeting.id.desc())
    rows = (await session.execute(stmt.offset((page - 1) * rpp).limit(rpp))).scalars().all()
    return rows, await count(session)


def pagination(page: int, rpp: int, total: int, listed: int) -> dict[str, Any]:
    """The same ``pagination`` shape core's company list answers."""
    pages = max(1, math.ceil(total / rpp)) if total else 0
    return {
        "previousPage": page - 1 if page > 1 else None,
        "currentPage": page,
        "nextPage": page + 1 if page < pages else None,
        "totalPages": pages,
        "totalRecords": total,
        "listedRecords": listed,
    }


async def read_tally(host: Host) -> dict[str, Any] | None:
    """What the ``hello.tally`` job last stored in the plugin's cache namespace (None before its first run)."""
    raw = await host.store(PLUGIN).get(TALLY_KEY)
    return json.loads(raw) if raw is not None else None


async def write_tally(host: Host, value: dict[str, Any]) -> None:
    await host.store(PLUGIN).set(TALLY_KEY, json.dumps(value))
