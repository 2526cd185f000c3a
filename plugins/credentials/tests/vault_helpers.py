"""Helpers the credentials API tests share: settings, seeded companies, typical types, raw table reads."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from optima_credentials.crypto import generate_key
from sqlalchemy import text

from optima_platform.core.models import Company
from optima_platform.settings import Settings
from optima_platform.testing.fixtures import LiveApp, make_settings

KEY_A = generate_key("ktest-a")
KEY_B = generate_key("ktest-b")

PASSWORD = "Tr0ub4dor&3-correct horse battery staple"
PSK = "psk: v3ry-s3cret pre-shared key"


def vault_settings(database_url: str, keys: Sequence[str]) -> Settings:
    return make_settings(
        database_url, plugins=["core", "credentials"], plugin_sections={"credentials": {"keys": list(keys)}}
    )


def unique(prefix: str) -> str:
    return f"{prefix} {secrets.token_hex(4)}"


def aws_fields() -> list[dict[str, Any]]:
    return [
        {"id": "accessKeyId", "name": "Access Key ID", "required": True, "secure": False, "valueType": "plain_text"},
        {
            "id": "secretAccessKey",
            "name": "Secret Access Key",
            "required": True,
            "secure": True,
            "valueType": "password",
        },
        {"id": "region", "name": "Region", "required": False, "secure": False, "valueType": "plain_text"},
    ]


def vpn_fields(*, tunnels_required: bool = False) -> list[dict[str, Any]]:
    return [
        {"id": "hostname", "name": "Hostname", "required": True, "secure": False, "valueType": "plain_text"},
        {
            "id": "tunnels",
            "name": "Tunnels",
            "required": tunnels_required,
            "secure": False,
            "valueType": "multi_credential",
            "subFields": [
                {"id": "server", "name": "Server", "required": True, "secure": False, "valueType": "plain_text"},
                {"id": "psk", "name": "Pre-Shared Key", "required": True, "secure": True, "valueType": "password"},
                {"id": "port", "name": "Port", "required": False, "secure": False, "valueType": "plain_text"},
            ],
        },
    ]


def field_list(values: Mapping[str, str | None]) -> list[dict[str, Any]]:
    return [{"fieldId": key, "value": value} for key, value in values.items()]


def tunnel(name: str, server: str, psk: str = PSK, **extra: str) -> dict[str, Any]:
    return {"name": name, "fields": field_list({"server": server, "psk": psk, **extra})}


@dataclass
class Vault:
    """An app plus an all-powerful caller and shortcuts to set up and inspect the vault."""

    app: LiveApp
    admin: dict[str, str]

    @classmethod
    async def open(cls, app: LiveApp) -> Vault:
        return cls(app, await app.headers("*"))

    @property
    def client(self) -> httpx.AsyncClient:
        return self.app.client

    async def headers(self, *nodes: str) -> dict[str, str]:
        return await self.app.headers(*nodes)

    async def company(self, name: str | None = None) -> str:
        async with self.app.host.db.session() as session, session.begin():
            company = Company(name=name or unique("Acme"), cw_data={})
            session.add(company)
        return company.id

    async def create_type(self, fields: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
        body = {"name": unique("AWS"), "fields": aws_fields() if fields is None else fields, **extra}
        response = await self.client.post("/v1/credential-type", json=body, headers=self.admin)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def create_credential(
        self,
        type_id: str,
        company_id: str,
        values: Mapping[str, str | None] | None = None,
        *,
        sub_credentials: dict[str, Any] | None = None,
        name: str = "Production AWS",
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "name": name,
            "typeId": type_id,
            "companyId": company_id,
            "fields": field_list(
                values if values is not None else {"accessKeyId": "AKIAIOSFODNN7EXAMPLE", "secretAccessKey": PASSWORD}
            ),
        }
        if sub_credentials is not None:
            body["subCredentials"] = sub_credentials
        response = await self.client.post("/v1/credential/credentials", json=body, headers=headers or self.admin)
        assert response.status_code == 201, response.text
        return response.json()["data"]

    async def aws(self, **values: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new AWS-like type and one credential of it for a new company."""
        ctype = await self.create_type()
        company = await self.company()
        credential = await self.create_credential(ctype["id"], company, values or None)
        return ctype, credential

    async def rows(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        async with self.app.host.db.engine.connect() as conn:
            result = await conn.execute(text(sql), params)
            return [dict(row._mapping) for row in result]

    async def execute(self, sql: str, **params: Any) -> None:
        """Run a raw statement in its own transaction (to tamper with the database as an attacker would)."""
        async with self.app.host.db.engine.begin() as conn:
            await conn.execute(text(sql), params)

    async def values_of(self, credential_id: str) -> dict[str, dict[str, Any]]:
        rows = await self.rows("SELECT * FROM credentials_values WHERE credential_id = :id", id=credential_id)
        return {row["field_id"]: row for row in rows}

    async def audit_of(self, credential_id: str) -> list[dict[str, Any]]:
        return await self.rows(
            "SELECT * FROM credentials_audit WHERE credential_id = :id ORDER BY at, id", id=credential_id
        )

    async def all_text(self, tables: Iterable[str] = ()) -> str:
        """Every value of every row of the vault's tables (and ``tables``), as one string."""
        names = ["credentials_types", "credentials_credentials", "credentials_values", "credentials_audit", *tables]
        dump = []
        for table in names:
            for row in await self.rows(f"SELECT * FROM {table}"):
                dump.extend(str(v) for v in row.values())
        return "\n".join(dump)


def field_map(credential: Mapping[str, Any]) -> dict[str, Any]:
    return {f["id"]: f for f in credential["fields"]}
