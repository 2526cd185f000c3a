"""Key rotation: re-encrypt every secure value under the current (first configured) key, in batches.

Each batch is its own short transaction, so rotation can run while the API serves and can be stopped
and started again: it only ever looks at values still under another key. A value is replaced only if
it is still the one that was read (compare-and-swap), so a value changed by a request meanwhile (and
so already written under the current key) is skipped, never overwritten with the old one. Values
that do not decrypt are reported and left as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select, update

from optima_platform.db.base import utcnow
from optima_platform.host import Host

from ..crypto import DecryptionError, Keyring
from ..models import CredentialValue

DEFAULT_BATCH_SIZE = 500


@dataclass
class Failure:
    value_id: str
    credential_id: str
    field_id: str
    reason: str
    kid: str | None


@dataclass
class RotationReport:
    """What a rotation run did; ``failures`` are values left under their old key."""

    key_id: str
    rotated: int = 0
    skipped: int = 0
    batches: int = 0
    failures: list[Failure] = field(default_factory=list)


async def values_per_key(host: Host) -> dict[str, int]:
    """How many secure values each key id holds."""
    async with host.db.session() as session:
        rows = await session.execute(
            select(CredentialValue.key_id, func.count())
            .where(CredentialValue.secure.is_(True))
            .group_by(CredentialValue.key_id)
        )
        return {kid or "(none)": count for kid, count in rows}


async def rotate(
    host: Host,
    ring: Keyring,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_batch: Callable[[RotationReport], None] | None = None,
) -> RotationReport:
    """Re-encrypt every secure value not under ``ring.current_kid``; returns what was done."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    current = ring.current_kid
    report = RotationReport(key_id=current)
    after = ""
    while True:
        async with host.db.session() as session, session.begin():
            rows = (
                await session.execute(
                    select(
                        CredentialValue.id,
                        CredentialValue.credential_id,
                        CredentialValue.field_id,
                        CredentialValue.value,
                    )
                    .where(
                        CredentialValue.secure.is_(True),
                        or_(CredentialValue.key_id.is_(None), CredentialValue.key_id != current),
                        CredentialValue.id > after,
                    )
                    .order_by(CredentialValue.id)
                    .limit(batch_size)
                )
            ).all()
            if not rows:
                break
            now = utcnow()
            for row in rows:
                try:
                    token = ring.reencrypt(row.value, credential_id=row.credential_id, field_id=row.field_id)
                except DecryptionError as exc:
                    report.failures.append(Failure(row.id, row.credential_id, row.field_id, exc.reason, exc.kid))
                    continue
                result = await session.execute(
                    update(CredentialValue)
                    .where(CredentialValue.id == row.id, CredentialValue.value == row.value)
                    .values(value=token, key_id=current, updated_at=now)
                )
                if result.rowcount:
                    report.rotated += 1
                else:
                    report.skipped += 1
            after = rows[-1].id
        report.batches += 1
        if on_batch is not None:
            on_batch(report)
    return report
