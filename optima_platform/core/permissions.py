"""The core plugin's node catalogue and field gates (users, roles, companies, the host itself)."""

from __future__ import annotations

from optima_platform.hooks.contributions import FieldGate, PermissionCategory
from optima_platform.hooks.contributions import PermissionNode as N

CATEGORIES = [
    PermissionCategory(
        "global",
        "Global Permissions",
        "Global wildcard permissions that grant access to all resources",
        (N("*", "Full access to all resources and actions (administrator role)"),),
    ),
    PermissionCategory(
        "user",
        "User Permissions",
        "Permissions for reading and managing users",
        (
            N("user.read", "Read your own user profile"),
            N("user.write", "Update your own user profile"),
            N("user.read.other", "Read other users' profiles"),
            N("user.list.other", "List all users", ("user.read.other",)),
            N("user.write.other", "Update other users' profiles"),
            N("user.roles.other", "Change the roles of other users", ("user.write.other",)),
            N(
                "user.permissions.other",
                "Change the direct permissions of other users",
                ("user.write.other",),
            ),
            N("user.delete.other", "Delete other users"),
        ),
    ),
    PermissionCategory(
        "role",
        "Role Permissions",
        "Permissions for reading and managing roles and the permission catalogue",
        (
            N("role.read", "Read roles and the permission catalogue"),
            N("role.list", "List all roles", ("role.read",)),
            N("role.create", "Create roles"),
            N("role.modify", "Change roles and their permissions"),
            N("role.delete", "Delete roles"),
        ),
    ),
    PermissionCategory(
        "company",
        "Company Permissions",
        "Permissions for accessing and managing company resources",
        (
            N("company.fetch", "Fetch a single company"),
            N("company.fetch.many", "List companies"),
            N("company.fetch.address", "View company address information", ("company.fetch",)),
            N("company.fetch.contacts", "View all contacts of a company", ("company.fetch",)),
        ),
    ),
    PermissionCategory(
        "platform",
        "Platform Permissions",
        "Permissions for inspecting the platform itself",
        (N("plugins.read", "List installed plugins and what they contribute"),),
    ),
]

USER_FIELDS = ("id", "name", "email", "login", "image", "roles", "permissions", "createdAt", "updatedAt")
ROLE_FIELDS = ("id", "title", "moniker", "permissions", "createdAt", "updatedAt")
COMPANY_FIELDS = ("id", "name", "cw_CompanyId", "cw_Identifier", "cw_Data", "createdAt", "updatedAt")

GATES = [
    FieldGate("obj.user", "User", USER_FIELDS),
    FieldGate("obj.role", "Role", ROLE_FIELDS),
    FieldGate("obj.company", "Company", COMPANY_FIELDS),
]
