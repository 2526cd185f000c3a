"""The credentials plugin's demo: a vault key when none is configured, realistic types and credentials."""

from __future__ import annotations

import os
import secrets
import string
from pathlib import Path

from sqlalchemy import select

from optima_platform.core.models import Company
from optima_platform.demo import Demo
from optima_platform.host import Host
from optima_platform.settings import SettingsError, load_settings

from .crypto import generate_key
from .models import CredentialType
from .services import credentials as credential_svc
from .services import types as type_svc
from .services.common import Caller
from .settings import configured_keys

DEMO_CALLER = Caller(None, "demo")

DEMO_TYPES = [
    {
        "name": "Windows Server Admin",
        "icon": None,
        "permissionScope": None,
        "fields": [
            {"id": "username", "name": "Username", "required": True, "valueType": "plain_text"},
            {"id": "password", "name": "Password", "required": True, "secure": True, "valueType": "password"},
            {"id": "ip", "name": "IP Address", "required": False, "valueType": "ip_address"},
        ],
    },
    {
        "name": "BitLocker Recovery",
        "icon": None,
        "permissionScope": "bitlocker",
        "fields": [
            {"id": "device", "name": "Device", "required": True, "valueType": "plain_text"},
            {"id": "keyId", "name": "Recovery Key ID", "required": False, "valueType": "plain_text"},
            {
                "id": "bitlocker_key",
                "name": "Recovery Password",
                "required": True,
                "secure": True,
                "valueType": "bitlocker_key",
            },
        ],
    },
    {
        "name": "Site VPN",
        "icon": None,
        "permissionScope": None,
        "fields": [
            {"id": "gateway", "name": "Gateway", "required": True, "valueType": "plain_text"},
            {
                "id": "tunnels",
                "name": "Tunnels",
                "required": False,
                "valueType": "multi_credential",
                "subFields": [
                    {"id": "peer", "name": "Peer Address", "required": True, "valueType": "ip_address"},
                    {"id": "psk", "name": "Pre-Shared Key", "required": True, "secure": True, "valueType": "password"},
                ],
            },
        ],
    },
]


def _keys_configured() -> bool:
    try:
        settings = load_settings(None)
    except SettingsError:
        return False
    section = settings.section("plugins.credentials")
    keys = section.get("keys") if isinstance(section.get("keys"), list) else []
    return bool(configured_keys(None) or keys)


DEMO_KEY_FILE = ".optima-demo-vault-key"


def _demo_key(directory: Path | None = None) -> str:
    """The demo's vault key, kept (mode 0600) beside the demo's database so a restart can decrypt."""
    path = (directory or Path.cwd()) / DEMO_KEY_FILE
    if path.is_file():
        return path.read_text().strip()
    key = generate_key("demo")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key + "\n")
    return key


def prepare(demo: Demo) -> None:
    if _keys_configured():
        demo.say("Credential vault: using the configured encryption keys.")
        return
    demo.configure("keys", [_demo_key()])
    demo.say(
        f"Credential vault: demo encryption key in ./{DEMO_KEY_FILE} (for real use: optima credentials generate-key)"
    )


def _password() -> str:
    alphabet = string.ascii_letters + string.digits + "!#%+-=?@"
    return "".join(secrets.choice(alphabet) for _ in range(20))


def _bitlocker_key() -> str:
    return "-".join(f"{secrets.randbelow(720896 // 11) * 11:06d}" for _ in range(8))


async def seed(host: Host, demo: Demo) -> None:
    """The demo types, and a few credentials for the first companies (idempotent)."""
    async with host.db.session() as session, session.begin():
        existing = {name for (name,) in await session.execute(select(CredentialType.name))}
        created = {}
        for spec in DEMO_TYPES:
            if spec["name"] in existing:
                continue
            ctype = await type_svc.create_type(
                host,
                session,
                name=spec["name"],
                fields=spec["fields"],
                permission_scope=spec["permissionScope"],
                icon=spec["icon"],
            )
            created[ctype.name] = ctype
        if not created:
            return
        companies = (await session.execute(select(Company).order_by(Company.name).limit(3))).scalars().all()
        for company in companies:
            slug = "".join(ch for ch in company.name.lower() if ch.isalnum())[:12] or "company"
            samples = [
                (
                    "Windows Server Admin",
                    f"{company.name} DC01 Administrator",
                    [
                        {"fieldId": "username", "value": f"{slug}\\administrator"},
                        {"fieldId": "password", "value": _password()},
                        {"fieldId": "ip", "value": f"10.{secrets.randbelow(250)}.0.10"},
                    ],
                    None,
                ),
                (
                    "BitLocker Recovery",
                    f"{company.name} Reception Laptop",
                    [
                        {"fieldId": "device", "value": f"{slug.upper()}-LT-001"},
                        {"fieldId": "keyId", "value": secrets.token_hex(4).upper()},
                        {"fieldId": "bitlocker_key", "value": _bitlocker_key()},
                    ],
                    None,
                ),
                (
                    "Site VPN",
                    f"{company.name} Site-to-Site VPN",
                    [{"fieldId": "gateway", "value": f"vpn.{slug}.example"}],
                    {
                        "tunnels": [
                            {
                                "name": "Primary tunnel",
                                "fields": [
                                    {"fieldId": "peer", "value": "203.0.113.10"},
                                    {"fieldId": "psk", "value": _password()},
                                ],
                            }
                        ]
                    },
                ),
            ]
            for type_name, name, fields, subs in samples:
                if type_name not in created:
                    continue
                await credential_svc.create(
                    host,
                    session,
                    DEMO_CALLER,
                    name=name,
                    notes="Demo data",
                    type_id=created[type_name].id,
                    company_id=company.id,
                    fields=fields,
                    sub_credentials=subs,
                )
    if companies:
        demo.say(f"Credential vault: demo credential types and credentials for {len(companies)} companies.")
    else:
        demo.say("Credential vault: demo credential types (no companies yet, so no credentials).")
