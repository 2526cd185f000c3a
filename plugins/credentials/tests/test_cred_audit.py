"""The audit trail: every change and every reveal is recorded, append-only, and the offboarding report."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import pytest
from vault_helpers import PASSWORD, Vault, aws_fields, field_list, field_map, tunnel, vpn_fields

from optima_platform.db.base import utcnow

CREDENTIALS = "/v1/credential/credentials"
REPORT = "/v1/credential/reports/revealed-unchanged"


async def _user(vault: Vault, *nodes: str) -> tuple[dict[str, str], str, str]:
    email = f"auditor-{secrets.token_hex(4)}@example.test"
    token = await vault.app.token(email, permissions=nodes)
    (row,) = await vault.rows("SELECT id FROM users WHERE email = :email", email=email)
    return {"Authorization": f"Bearer {token}"}, row["id"], email


def _ids(value: Any) -> list[str]:
    return json.loads(value) if isinstance(value, str) else list(value)


def _at(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def test_every_change_and_reveal_is_recorded(vault: Vault) -> None:
    headers, user_id, _ = await _user(vault, "*")
    started = utcnow()
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"], company, {"hostname": "h1"}, sub_credentials={"tunnels": [tunnel("T1", "s1")]}, headers=headers
    )
    (first_sub,) = field_map(credential)["tunnels"]["value"]
    base = f"{CREDENTIALS}/{credential['id']}"
    calls = [
        await vault.client.patch(
            base, json={"name": "Renamed", "fields": field_list({"hostname": "h2"})}, headers=headers
        ),
        await vault.client.put(
            f"{base}/fields", json={"fields": field_list({"hostname": "audit-hostname-3"})}, headers=headers
        ),
        await vault.client.post(
            f"{base}/sub-credentials",
            json={"fieldId": "tunnels", "name": "T2", "fields": field_list({"server": "s2", "psk": "audit-psk"})},
            headers=headers,
        ),
        await vault.client.get(f"{CREDENTIALS}/{first_sub}/secure-values", headers=headers),
        await vault.client.get(f"{CREDENTIALS}/{first_sub}/secure-values/psk", headers=headers),
        await vault.client.delete(f"{base}/sub-credentials/{first_sub}", headers=headers),
    ]
    assert [c.status_code for c in calls] == [200, 200, 201, 200, 200, 200]
    second_sub = calls[2].json()["data"]["id"]
    assert (await vault.client.delete(base, headers=headers)).status_code == 200
    finished = utcnow()

    parent_rows = await vault.audit_of(credential["id"])
    assert [(r["action"], _ids(r["field_ids"])) for r in parent_rows] == [
        ("create", ["hostname"]),
        ("update", ["hostname"]),
        ("update", ["hostname"]),
        ("delete", []),
    ]
    first_rows = await vault.audit_of(first_sub)
    assert [(r["action"], _ids(r["field_ids"])) for r in first_rows] == [
        ("create", ["server", "psk"]),
        ("reveal", ["psk"]),
        ("reveal", ["psk"]),
        ("delete", []),
    ]
    assert [r["action"] for r in await vault.audit_of(second_sub)] == ["create", "delete"]
    every = [*parent_rows, *first_rows]
    for row in every:
        assert row["user_id"] == user_id and row["client_address"] == "127.0.0.1"
        assert row["root_id"] == credential["id"] and row["company_id"] == company and row["type_id"] == ctype["id"]
        assert started <= _at(row["at"]) <= finished
    assert "Renamed" in {r["credential_name"] for r in parent_rows}
    audit_text = "\n".join(str(v) for r in await vault.rows("SELECT * FROM credentials_audit") for v in r.values())
    assert "audit-psk" not in audit_text and PASSWORD not in audit_text and "audit-hostname-3" not in audit_text


async def test_the_audit_table_is_append_only(vault: Vault) -> None:
    _, credential = await vault.aws()
    (row,) = await vault.audit_of(credential["id"])
    with pytest.raises(Exception, match="append-only"):
        await vault.execute("UPDATE credentials_audit SET user_id = 'someone-else' WHERE id = :id", id=row["id"])
    with pytest.raises(Exception, match="append-only"):
        await vault.execute("DELETE FROM credentials_audit WHERE id = :id", id=row["id"])
    if vault.app.host.db.backend == "postgresql":
        with pytest.raises(Exception, match="append-only"):
            await vault.execute("TRUNCATE credentials_audit")
    assert await vault.audit_of(credential["id"]) == [row]


async def test_audit_route(vault: Vault) -> None:
    _, credential = await vault.aws()
    await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values", headers=vault.admin)
    url = f"{CREDENTIALS}/{credential['id']}/audit"
    response = await vault.client.get(url, headers=await vault.headers("credential.audit.read"))
    assert response.status_code == 200 and response.json()["message"] == "Credential Audit Trail Fetched Successfully!"
    rows = response.json()["data"]
    assert [r["action"] for r in rows] == ["create", "reveal"]
    assert set(rows[1]) == {
        "id",
        "at",
        "action",
        "userId",
        "apiKeyId",
        "clientAddress",
        "credentialId",
        "rootCredentialId",
        "credentialName",
        "typeId",
        "companyId",
        "fieldIds",
        "detail",
    }
    assert rows[1]["fieldIds"] == ["secretAccessKey"] and rows[1]["at"].endswith("Z")
    await vault.client.delete(f"{CREDENTIALS}/{credential['id']}", headers=vault.admin)
    after = await vault.client.get(url, headers=vault.admin)
    assert [r["action"] for r in after.json()["data"]] == ["create", "reveal", "delete"]
    missing = await vault.client.get(f"{CREDENTIALS}/nope/audit", headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_type_changes_and_deletions_are_audited(vault: Vault) -> None:
    ctype, credential = await vault.aws(accessKeyId="A", secretAccessKey=PASSWORD, region="eu-west-1")
    fields = [f for f in aws_fields() if f["id"] != "region"]
    fields[0] = {**fields[0], "secure": True}
    response = await vault.client.patch(
        f"/v1/credential-type/{ctype['id']}", json={"fields": fields, "dropFields": ["region"]}, headers=vault.admin
    )
    assert response.status_code == 200
    update = (await vault.audit_of(credential["id"]))[-1]
    assert update["action"] == "update" and sorted(_ids(update["field_ids"])) == ["accessKeyId", "region"]
    detail = json.loads(update["detail"]) if isinstance(update["detail"], str) else update["detail"]
    assert detail == {"reason": "type-updated", "dropped": ["region"], "encrypted": ["accessKeyId"]}
    await vault.client.delete(f"/v1/credential-type/{ctype['id']}", headers=vault.admin)
    assert (await vault.audit_of(credential["id"]))[-1]["action"] == "delete"


async def test_revealed_unchanged_report(vault: Vault) -> None:
    leaver, leaver_id, leaver_email = await _user(vault, "*")
    other, _, _ = await _user(vault, "*")
    _, changed = await vault.aws()
    _, kept = await vault.aws()
    _, deleted = await vault.aws()
    _, not_revealed = await vault.aws()
    _, seen_by_other = await vault.aws()
    vpn = await vault.create_type(vpn_fields())
    parent = await vault.create_credential(
        vpn["id"], await vault.company(), {"hostname": "h"}, sub_credentials={"tunnels": [tunnel("T", "s")]}
    )
    (sub_id,) = field_map(parent)["tunnels"]["value"]
    for credential_id in (changed["id"], kept["id"], deleted["id"]):
        assert (
            await vault.client.get(f"{CREDENTIALS}/{credential_id}/secure-values", headers=leaver)
        ).status_code == 200
    await vault.client.get(f"{CREDENTIALS}/{sub_id}/secure-values/psk", headers=leaver)
    await vault.client.get(f"{CREDENTIALS}/{seen_by_other['id']}/secure-values", headers=other)
    await vault.client.put(
        f"{CREDENTIALS}/{changed['id']}/fields",
        json={"fields": field_list({"secretAccessKey": "rotated"})},
        headers=other,
    )
    await vault.client.patch(
        f"{CREDENTIALS}/{kept['id']}",
        json={"name": "Kept", "fields": field_list({"secretAccessKey": PASSWORD})},
        headers=other,
    )
    await vault.client.delete(f"{CREDENTIALS}/{deleted['id']}", headers=other)

    response = await vault.client.get(
        REPORT, params={"userId": leaver_id}, headers=await vault.headers("credential.audit.read")
    )
    assert response.status_code == 200
    assert response.json()["message"] == "Revealed Unchanged Credentials Fetched Successfully!"
    rows = response.json()["data"]
    assert {r["credentialId"] for r in rows} == {kept["id"], sub_id}
    by_id = {r["credentialId"]: r for r in rows}
    assert by_id[kept["id"]]["fieldIds"] == ["secretAccessKey"] and by_id[kept["id"]]["credentialName"] == "Kept"
    assert by_id[sub_id]["fieldIds"] == ["psk"] and by_id[sub_id]["subCredentialOfId"] == parent["id"]
    assert rows[0]["credentialId"] == sub_id
    assert not_revealed["id"] not in by_id and seen_by_other["id"] not in by_id

    by_email = await vault.client.get(REPORT, params={"userId": leaver_email}, headers=vault.admin)
    assert by_email.json()["data"] == rows
    deleted_user = await vault.client.delete(f"/v1/user/users/{leaver_id}", headers=vault.admin)
    assert deleted_user.status_code == 200
    after_leaving = await vault.client.get(REPORT, params={"userId": leaver_id}, headers=vault.admin)
    assert after_leaving.status_code == 200 and after_leaving.json()["data"] == rows


async def test_report_validation_and_404(vault: Vault) -> None:
    headers = await vault.headers("credential.audit.read")
    missing_param = await vault.client.get(REPORT, headers=headers)
    assert missing_param.status_code == 400 and missing_param.json()["error"] == "ValidationError"
    empty = await vault.client.get(REPORT, params={"userId": ""}, headers=headers)
    assert empty.status_code == 400
    unknown = await vault.client.get(REPORT, params={"userId": "nobody"}, headers=headers)
    assert unknown.status_code == 404 and unknown.json()["error"] == "UserNotFound"
    _, quiet_id, _ = await _user(vault)
    quiet = await vault.client.get(REPORT, params={"userId": quiet_id}, headers=headers)
    assert quiet.status_code == 200 and quiet.json()["data"] == []
