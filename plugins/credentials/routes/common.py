"""What the route modules share: body field types, the scope condition they declare, gating."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec

from optima_platform.permissions.gates import gate
from optima_platform.permissions.principal import Principal

from ..permissions import SCOPE_PREFIX
from ..services.loading import Loaded
from ..services.serialize import credential_json

SCOPED = {"the credential type has a permissionScope": f"{SCOPE_PREFIX}.<permissionScope>"}

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=255)]
Notes = Annotated[str, msgspec.Meta(max_length=10_000)]
FieldValues = Annotated[list[Any], msgspec.Meta(max_length=500)]


def credentials_out(principal: Principal, items: list[Loaded]) -> list[dict[str, Any]]:
    """Credentials as the caller may see them (``obj.credential`` gating)."""
    return gate(principal.permissions, "obj.credential", [credential_json(item) for item in items])


def credential_out(principal: Principal, item: Loaded) -> dict[str, Any]:
    return gate(principal.permissions, "obj.credential", credential_json(item))
