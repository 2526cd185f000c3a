"""Route declarations: each handler names its auth kind, nodes and gate scope once, here.

``@get("/user/@me", permissions=["user.read"], gate="obj.user")`` wraps Litestar's decorator and
stores the declaration in the handler's ``opt``; the guard, the OpenAPI schema (``x-permissions``),
``usedIn`` and ``optima routes`` all read that same declaration.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import litestar
from litestar.openapi.spec import Operation

from optima_platform.http.schemas import error_responses

AuthKind = Literal["none", "token", "refresh", "secret"]


def _operation_class(nodes: Sequence[str], auth: str, conditional: dict[str, str]) -> type[Operation]:
    @dataclass
    class PermissionedOperation(Operation):
        x_permissions: list[str] = field(default_factory=lambda: list(nodes), metadata={"alias": "x-permissions"})
        x_auth: str = field(default=auth, metadata={"alias": "x-auth"})
        x_conditional: dict[str, str] | None = field(
            default_factory=lambda: dict(conditional) or None, metadata={"alias": "x-conditional-permissions"}
        )

    return PermissionedOperation


def _describe(description: str | None, nodes: Sequence[str], auth: str, conditional: dict[str, str]) -> str:
    lines = [description.strip()] if description else []
    if auth == "none":
        lines.append("Authentication: none.")
    elif auth == "secret":
        lines.append("Authentication: a shared secret in the path.")
    elif auth == "refresh":
        lines.append("Authentication: refresh token in the `x-refresh-token` header.")
    else:
        lines.append("Authentication: `Authorization: Bearer <token>` or `Key <api key>`.")
    lines.append(f"Required permissions: {', '.join(f'`{n}`' for n in nodes) if nodes else 'none'}.")
    for when, node in conditional.items():
        lines.append(f"Also requires `{node}` when {when}.")
    return "\n\n".join(lines)


def _declare(method: Callable[..., Any]) -> Callable[..., Any]:
    def decorator(
        path: str,
        *,
        permissions: Sequence[str] = (),
        auth: AuthKind = "token",
        gate: str | None = None,
        conditional: dict[str, str] | None = None,
        description: str | None = None,
        **kwargs: Any,
    ) -> Any:
        nodes = tuple(permissions)
        cond = dict(conditional or {})
        opt = {"auth": auth, "permissions": nodes, "gate": gate, "conditional": cond, **kwargs.pop("opt", {})}
        responses = {**error_responses(auth, bool(nodes) or bool(cond), path), **kwargs.pop("responses", {})}
        return method(
            path,
            opt=opt,
            responses=responses,
            operation_class=_operation_class(nodes, auth, cond),
            description=_describe(description, nodes, auth, cond),
            **kwargs,
        )

    decorator.__doc__ = f"Litestar ``{method.__name__}`` with the route's auth kind, nodes and gate declared."
    return decorator


get = _declare(litestar.get)
post = _declare(litestar.post)
patch = _declare(litestar.patch)
put = _declare(litestar.put)
delete = _declare(litestar.delete)
