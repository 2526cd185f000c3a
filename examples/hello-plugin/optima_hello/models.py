"""The plugin's one table. Plugin tables are prefixed with the plugin's name: ``hello_*``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from optima_platform.db.base import UTCDateTime, make_base, new_id, utcnow

HelloBase = make_base("hello")


class Greeting(HelloBase):
    __tablename__ = "hello_greetings"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    message: Mapped[str] = mapped_column(String(300))
    created_by: Mapped[str | None] = mapped_column(String(32), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
