"""Typed dependencies handlers declare: ``host: HostDep``, ``principal: PrincipalDep``."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from litestar.di import NamedDependency
from litestar.params import JSONBody as JSONBody

from optima_platform.host import Host
from optima_platform.permissions.principal import Principal

if TYPE_CHECKING:
    HostDep: TypeAlias = Host
    PrincipalDep: TypeAlias = Principal
else:
    HostDep = NamedDependency[Host]
    PrincipalDep = NamedDependency[Principal]
