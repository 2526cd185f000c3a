"""What every service shares: the caller, the keyring, not-found errors, validation and scope checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from litestar import Request

from optima_platform.host import Host
from optima_platform.http.errors import ApiError, validation_error
from optima_platform.http.guard import require
from optima_platform.permissions.principal import Principal

from ..crypto import Keyring
from ..models import CredentialType
from ..permissions import register_scope, scope_node
from ..settings import load_keyring
from ..value_types import ErrorDetail, ValidationFailed

T = TypeVar("T")
KEYRING_STATE = "credentials.keyring"
IN_CHUNK = 500


@dataclass(frozen=True)
class Caller:
    """Who is acting, for permission-scope checks and the audit trail (``principal`` None: the system)."""

    principal: Principal | None
    client_address: str | None = None

    @classmethod
    def of(cls, principal: Principal, request: Request) -> Caller:
        client = request.client
        return cls(principal, client.host[:100] if client and client.host else None)

    @property
    def user_id(self) -> str | None:
        return self.principal.user_id if self.principal else None

    @property
    def api_key_id(self) -> str | None:
        return self.principal.api_key_id if self.principal else None


def keyring(host: Host) -> Keyring:
    """The vault's keyring, built once per host from settings or the environment (PluginError if none)."""
    ring = host.state.get(KEYRING_STATE)
    if ring is None:
        ring = load_keyring(host.settings_for("credentials"))
        host.state[KEYRING_STATE] = ring
    return ring


def chunks(items: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Slices of ``items`` short enough for an ``IN (...)`` list on every backend."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def invalid(exc: ValidationFailed | None = None, extra: Sequence[ErrorDetail] = ()) -> ApiError:
    """The spec's 400 validation error from the pure validators' errors plus ``extra``."""
    errors: list[ErrorDetail] = [*extra, *(exc.errors if exc is not None else [])]
    return validation_error([{"path": list(e["path"]), "message": e["message"]} for e in errors])


def type_not_found(identifier: str) -> ApiError:
    return ApiError(404, f"Credential type with identifier '{identifier}' was not found.", "CredentialTypeNotFound")


def credential_not_found(identifier: str) -> ApiError:
    return ApiError(404, f"Credential with id '{identifier}' was not found.", "CredentialNotFound")


def sub_credential_not_found() -> ApiError:
    return ApiError(404, "Sub-credential not found", "SubCredentialNotFound")


def secure_field_not_found(field_id: str) -> ApiError:
    return ApiError(404, f"Secure field not found: {field_id}", "SecureFieldNotFound")


def may_access(host: Host, caller: Caller, ctype: CredentialType) -> bool:
    """Whether the caller holds the node of the type's ``permissionScope`` (always, when it has none)."""
    scope = ctype.permission_scope
    if not scope or caller.principal is None:
        return True
    register_scope(host, scope)
    return caller.principal.allows(scope_node(scope))


def require_scope(host: Host, caller: Caller, ctype: CredentialType) -> None:
    """403 (``missing`` names the node) unless the caller may access the type's credentials."""
    scope = ctype.permission_scope
    if scope and caller.principal is not None:
        register_scope(host, scope)
        require(
            caller.principal,
            scope_node(scope),
            message=f"Credential type '{ctype.name}' is restricted to holders of its permission scope.",
        )
