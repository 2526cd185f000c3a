"""Who is calling: the authenticated principal a request or socket carries."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from optima_platform.permissions.matcher import PermissionSet


@dataclass
class Principal:
    """An authenticated caller: a user, the session (or API key) it came through, its grants."""

    user_id: str
    permissions: PermissionSet
    session_id: str | None = None
    api_key_id: str | None = None
    kind: str = "token"
    extra: dict[str, Any] = field(default_factory=dict)

    def allows(self, node: str) -> bool:
        return self.permissions.allows(node)
