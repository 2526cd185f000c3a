"""The credentials plugin's node catalogue, its field gates and the nodes of type permission scopes.

A credential type with ``permissionScope: "aws.credentials"`` makes every credential of that type
also need ``credential_scope.aws.credentials`` (see ``docs/credentials.md``). Scope nodes are named
by the types an admin creates, so they are registered while the vault runs (at start-up from the
database, and whenever a type with a new scope is created or seen), in the ``credentialScope``
category; ``credential_scope.*`` grants every scope.
"""

from __future__ import annotations

from optima_platform.hooks.contributions import FieldGate, PermissionCategory
from optima_platform.hooks.contributions import PermissionNode as N
from optima_platform.host import Host

SCOPE_PREFIX = "credential_scope"
SCOPE_CATEGORY = "credentialScope"

CATEGORIES = [
    PermissionCategory(
        "credential",
        "Credential Permissions",
        "Permissions for reading and managing the credentials stored for companies",
        (
            N("credential.fetch", "Fetch a single credential (secure values masked)"),
            N("credential.fetch.many", "List the credentials of a company or of a credential type"),
            N("credential.create", "Create credentials"),
            N("credential.update", "Change a credential's name, notes and field values"),
            N("credential.delete", "Delete credentials and their sub-credentials"),
            N(
                "credential.fields.fetch",
                "Read a credential's stored field values (secure ones encrypted)",
                ("credential.fetch",),
            ),
            N("credential.fields.update", "Update a credential's field values", ("credential.update",)),
            N(
                "credential.secure_values.read",
                "Reveal (decrypt) a credential's secure values; every reveal is audited",
                ("credential.fetch",),
            ),
            N("credential.sub_credentials.fetch", "List a credential's sub-credentials", ("credential.fetch",)),
            N("credential.sub_credentials.create", "Add sub-credentials to a credential", ("credential.fetch",)),
            N("credential.sub_credentials.delete", "Remove sub-credentials from a credential", ("credential.fetch",)),
            N("credential.audit.read", "Read the credential audit trail and the revealed-unchanged report"),
        ),
    ),
    PermissionCategory(
        "credentialType",
        "Credential Type Permissions",
        "Permissions for reading and managing credential types and their field definitions",
        (
            N("credential_type.fetch", "Fetch a single credential type"),
            N("credential_type.fetch.many", "List credential types"),
            N("credential_type.create", "Create credential types"),
            N("credential_type.update", "Change credential types and their field definitions"),
            N("credential_type.delete", "Delete credential types and every credential of them"),
        ),
    ),
]

CREDENTIAL_FIELDS = (
    "id",
    "name",
    "notes",
    "typeId",
    "companyId",
    "subCredentialOfId",
    "fields",
    "type",
    "company",
    "createdAt",
    "updatedAt",
)
TYPE_FIELDS = ("id", "name", "permissionScope", "icon", "fields", "credentialCount", "createdAt", "updatedAt")

GATES = [
    FieldGate("obj.credential", "Credential", CREDENTIAL_FIELDS),
    FieldGate("obj.credentialType", "Credential Type", TYPE_FIELDS),
]


def scope_node(scope: str) -> str:
    """The node a type's ``permissionScope`` makes its credentials need."""
    return f"{SCOPE_PREFIX}.{scope}"


def register_scope(host: Host, scope: str) -> None:
    """Make ``credential_scope.<scope>`` a known node, so roles and users can be granted it."""
    node = scope_node(scope)
    if node in host.permissions.nodes:
        return
    host.permissions.add_category(
        "credentials",
        PermissionCategory(
            SCOPE_CATEGORY,
            "Credential Scope Permissions",
            "Access to the credentials of credential types that have a permissionScope",
            (N(node, f"Access credentials of types with permissionScope '{scope}'"),),
        ),
    )
