"""The host's own table: the last run of each scheduled job (shared by every instance)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from optima_platform.db.base import UTCDateTime, make_base

HostBase = make_base("host")


class JobStatus(HostBase):
    __tablename__ = "job_status"

    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    plugin: Mapped[str] = mapped_column(String(100))
    last_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_duration_ms: Mapped[int | None] = mapped_column(Integer, nullable=True)
    last_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    runs: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
