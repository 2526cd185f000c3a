"""The demo Entra ID tenant: a fixed tenant GUID and the MSP staff who can sign in to it."""

from __future__ import annotations

import msgspec

DEMO_TENANT_ID = "5f4a7c2e-3b91-4d6a-8e0f-2c9b1a7d4e63"
"""The tenant GUID of the fictional MSP ``contoso-msp.example``."""

DEMO_DOMAIN = "contoso-msp.example"


class DirectoryUser(msgspec.Struct, frozen=True, kw_only=True):
    """One account in a simulated Entra ID directory.

    ``oid`` is the stable object id Microsoft puts in the ``oid`` claim; ``email`` doubles as the
    ``preferred_username`` (UPN) and is what ``login_hint`` is matched against.
    """

    oid: str
    name: str
    email: str
    job_title: str = ""


DEMO_DIRECTORY: tuple[DirectoryUser, ...] = (
    DirectoryUser(
        oid="0b6f2d1e-8a4c-4f3b-9d27-61c5e8a0f412",
        name="Alex Admin",
        email=f"alex.admin@{DEMO_DOMAIN}",
        job_title="Operations Director",
    ),
    DirectoryUser(
        oid="3c9e7a52-1f6d-4b8e-a0c3-94d2b7e15f08",
        name="Taylor Tech",
        email=f"taylor.tech@{DEMO_DOMAIN}",
        job_title="Field Service Technician",
    ),
    DirectoryUser(
        oid="7d1a4e93-5c2b-4a7f-8e64-0f3b9c6d2a71",
        name="Dana Dispatch",
        email=f"dana.dispatch@{DEMO_DOMAIN}",
        job_title="Service Coordinator",
    ),
    DirectoryUser(
        oid="a48c6f05-9e3d-4b21-b7a8-5e2f1d0c9b36",
        name="Sam Sales",
        email=f"sam.sales@{DEMO_DOMAIN}",
        job_title="Account Executive",
    ),
    DirectoryUser(
        oid="e25b8d17-6a0f-4c94-9b3e-d71c4a8f6e20",
        name="Val Viewer",
        email=f"val.viewer@{DEMO_DOMAIN}",
        job_title="Finance Analyst",
    ),
)
"""The demo staff: an admin, a technician, a dispatcher, a sales person and a read-only viewer."""
