"""The core plugin's demo: an identity simulator to sign in against, and demo roles and users."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from optima_platform.core.identity.directory import DEMO_DIRECTORY, DEMO_TENANT_ID
from optima_platform.core.identity.simulator import create_identity_simulator
from optima_platform.core.models import Role, User
from optima_platform.demo import Demo
from optima_platform.host import Host

DEMO_ROLES = [
    (
        "technician",
        "Technician",
        [
            "user.read",
            "user.write",
            "company.*",
            "obj.company.*",
            "credential.*",
            "credential_type.*",
            "obj.credential.*",
            "obj.credentialType.*",
        ],
    ),
    (
        "sales",
        "Sales",
        ["user.read", "user.write", "obj.user.*", "company.fetch", "company.fetch.many", "obj.company.*"],
    ),
    ("viewer", "Viewer", ["user.read", "obj.user.*", "company.fetch", "company.fetch.many", "obj.company.*"]),
]
ROLE_OF = {"alex.admin": "admin", "taylor.tech": "technician", "dana.dispatch": "technician", "sam.sales": "sales"}


async def prepare(demo: Demo) -> None:
    client_id, client_secret = "optima-demo", secrets.token_urlsafe(24)
    sim = create_identity_simulator(client_id=client_id, client_secret=client_secret)
    url = await demo.serve(sim.app)
    demo.configure(
        "microsoft",
        {"authority": url, "tenant": DEMO_TENANT_ID, "client_id": client_id, "client_secret": client_secret},
    )
    demo.configure("bootstrap_admins", [DEMO_DIRECTORY[0].email])
    demo.say(f"Identity simulator (Microsoft sign-in): {url} — demo directory:")
    for user in DEMO_DIRECTORY:
        demo.say(f"    {user.email:<40} {user.name}")
    demo.say("Sign in: GET /v1/auth/uri?loginHint=<email>, open the uri; or without a browser:")
    demo.say(f"    optima token issue --email {DEMO_DIRECTORY[0].email} --role admin")


async def seed(host: Host, demo: Demo) -> None:
    """Demo roles, and the directory's users with them (idempotent)."""
    async with host.db.session() as session, session.begin():
        roles = {r.moniker: r for r in (await session.execute(select(Role))).scalars()}
        for moniker, title, nodes in DEMO_ROLES:
            valid = [n for n in nodes if host.permissions.is_known(n)]
            if moniker not in roles:
                roles[moniker] = Role(moniker=moniker, title=title, permissions=valid)
                session.add(roles[moniker])
        for entry in DEMO_DIRECTORY:
            user = (await session.execute(select(User).where(User.email == entry.email))).scalar_one_or_none()
            if user is None:
                local = entry.email.split("@")[0]
                role = roles.get(ROLE_OF.get(local, "viewer"))
                user = User(
                    email=entry.email, name=entry.name, login=local, oid=entry.oid, permissions=[], perm_version=0
                )
                user.roles = [role] if role else []
                session.add(user)
