"""The plugin's nodes: ConnectWise views of a company, added to the core ``company`` category."""

from __future__ import annotations

from optima_platform.hooks.contributions import PermissionCategory
from optima_platform.hooks.contributions import PermissionNode as N

CATEGORIES = [
    PermissionCategory(
        "company",
        "Company Permissions",
        "Permissions for accessing and managing company resources",
        (
            N("company.fetch.configurations", "View a company's ConnectWise configurations", ("company.fetch",)),
            N("company.fetch.sites", "View a company's ConnectWise sites", ("company.fetch",)),
        ),
    ),
]
