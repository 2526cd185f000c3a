"""Secure values: revealed only by the secure-values routes, never stored, logged or cached in the clear.

These tests read the database directly: no plaintext secure value may be in any table, and a
ciphertext moved to another row or field must fail to decrypt with a clear error.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from vault_helpers import PASSWORD, PSK, Vault, field_list, field_map, tunnel, vpn_fields

from optima_platform.cache.stores import PrefixedStore

CREDENTIALS = "/v1/credential/credentials"
TWO_SECRETS = [
    {"id": "user", "name": "User", "required": True, "valueType": "plain_text"},
    {"id": "password", "name": "Password", "required": True, "valueType": "password"},
    {"id": "pin", "name": "PIN", "required": False, "valueType": "generic_secret"},
    {"id": "bl", "name": "Recovery", "required": False, "secure": True, "valueType": "bitlocker_key"},
]
BITLOCKER = "000000-111111-222222-333333-444444-555555-666666-707707"


async def _two_secrets(vault: Vault, password: str = PASSWORD, pin: str = "pin-0000-secret") -> dict[str, Any]:
    ctype = await vault.create_type(TWO_SECRETS)
    company = await vault.company()
    return await vault.create_credential(
        ctype["id"], company, {"user": "admin", "password": password, "pin": pin, "bl": BITLOCKER}, name="Server"
    )


async def test_read_secure_values(vault: Vault) -> None:
    credential = await _two_secrets(vault)
    url = f"{CREDENTIALS}/{credential['id']}/secure-values"
    response = await vault.client.get(
        url, headers=await vault.headers("credential.fetch", "credential.secure_values.read")
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Secure Values Fetched Successfully!",
        "data": {"password": PASSWORD, "pin": "pin-0000-secret", "bl": BITLOCKER},
        "successful": True,
    }
    assert response.headers["cache-control"] == "no-store"
    (reveal,) = [row for row in await vault.audit_of(credential["id"]) if row["action"] == "reveal"]
    assert set(json.loads(reveal["field_ids"]) if isinstance(reveal["field_ids"], str) else reveal["field_ids"]) == {
        "password",
        "pin",
        "bl",
    }
    missing = await vault.client.get(f"{CREDENTIALS}/nope/secure-values", headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_read_one_secure_value(vault: Vault) -> None:
    credential = await _two_secrets(vault)
    base = f"{CREDENTIALS}/{credential['id']}/secure-values"
    headers = await vault.headers("credential.fetch", "credential.secure_values.read")
    response = await vault.client.get(f"{base}/password", headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Secure Value Fetched Successfully!",
        "data": {"fieldId": "password", "value": PASSWORD},
        "successful": True,
    }
    for field_id in ("unknownField", "user"):
        response = await vault.client.get(f"{base}/{field_id}", headers=headers)
        assert response.status_code == 404
        assert response.json() == {
            "status": 404,
            "message": f"Secure field not found: {field_id}",
            "error": "SecureFieldNotFound",
            "successful": False,
        }
    missing = await vault.client.get(f"{CREDENTIALS}/nope/secure-values/password", headers=headers)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_an_empty_secure_field_reads_as_null_and_is_not_audited(vault: Vault) -> None:
    ctype = await vault.create_type(TWO_SECRETS)
    credential = await vault.create_credential(ctype["id"], await vault.company(), {"user": "u", "password": PASSWORD})
    response = await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values/pin", headers=vault.admin)
    assert response.json()["data"] == {"fieldId": "pin", "value": None}
    assert [row["action"] for row in await vault.audit_of(credential["id"])] == ["create"]


async def test_secure_values_are_null_in_every_other_response(vault: Vault) -> None:
    credential = await _two_secrets(vault)
    responses = [
        await vault.client.get(f"{CREDENTIALS}/{credential['id']}", headers=vault.admin),
        await vault.client.get(f"{CREDENTIALS}/company/{credential['companyId']}", headers=vault.admin),
        await vault.client.get(f"/v1/credential-type/{credential['typeId']}/credentials", headers=vault.admin),
        await vault.client.patch(f"{CREDENTIALS}/{credential['id']}", json={"name": "Renamed"}, headers=vault.admin),
        await vault.client.put(
            f"{CREDENTIALS}/{credential['id']}/fields",
            json={"fields": field_list({"pin": "pin-1111-secret"})},
            headers=vault.admin,
        ),
        await vault.client.get(f"{CREDENTIALS}/{credential['id']}/fields", headers=vault.admin),
        await vault.client.get(f"{CREDENTIALS}/{credential['id']}/audit", headers=vault.admin),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        for secret in (PASSWORD, "pin-0000-secret", "pin-1111-secret", BITLOCKER):
            assert secret not in response.text, response.request.url
    fields = field_map(responses[0].json()["data"])
    assert [fields[f]["value"] for f in ("password", "pin", "bl")] == [None, None, None]
    assert fields["user"]["value"] == "admin"


async def test_the_database_holds_no_plaintext_secure_value(vault: Vault) -> None:
    secrets_used = ["db-check-password-1", "db-check-pin-1", "db-check-password-2", "db-check-psk-1", "db-check-psk-2"]
    credential = await _two_secrets(vault, password=secrets_used[0], pin=secrets_used[1])
    await vault.client.patch(
        f"{CREDENTIALS}/{credential['id']}",
        json={"fields": field_list({"password": secrets_used[2]})},
        headers=vault.admin,
    )
    vpn = await vault.create_type(vpn_fields())
    parent = await vault.create_credential(
        vpn["id"],
        credential["companyId"],
        {"hostname": "db-check-hostname"},
        sub_credentials={"tunnels": [tunnel("T", "s", psk=secrets_used[3])]},
    )
    added = await vault.client.post(
        f"{CREDENTIALS}/{parent['id']}/sub-credentials",
        json={"fieldId": "tunnels", "name": "T2", "fields": field_list({"server": "s2", "psk": secrets_used[4]})},
        headers=vault.admin,
    )
    assert added.status_code == 201
    await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values", headers=vault.admin)
    dump = await vault.all_text(["companies", "users", "roles", "sessions"])
    assert "db-check-hostname" in dump and "admin" in dump
    for secret in secrets_used:
        assert secret not in dump, secret
    rows = await vault.rows("SELECT * FROM credentials_values WHERE secure = :yes", yes=True)
    assert rows and all(row["value"].startswith("v1:ktest-a:") and row["key_id"] == "ktest-a" for row in rows)


async def test_a_ciphertext_copied_to_another_credential_fails_clearly(vault: Vault) -> None:
    victim = await _two_secrets(vault, password="victim-password")
    thief = await _two_secrets(vault, password="thief-password")
    token = (await vault.values_of(victim["id"]))["password"]["value"]
    await vault.execute(
        "UPDATE credentials_values SET value = :token WHERE credential_id = :id AND field_id = 'password'",
        token=token,
        id=thief["id"],
    )
    for url in (f"{CREDENTIALS}/{thief['id']}/secure-values", f"{CREDENTIALS}/{thief['id']}/secure-values/password"):
        response = await vault.client.get(url, headers=vault.admin)
        assert response.status_code == 409, url
        body = response.json()
        assert body["error"] == "SecureValueUndecryptable" and body["successful"] is False
        assert body["message"] == (
            "The stored value of 'password' cannot be decrypted: it does not belong to this credential and field "
            "(it was copied from another one, or altered)."
        )
        assert body["fields"] == [{"fieldId": "password", "reason": "authentication", "message": body["message"]}]
        assert "victim-password" not in response.text and "thief-password" not in response.text
    assert [row["action"] for row in await vault.audit_of(thief["id"])] == ["create"]
    still = await vault.client.get(f"{CREDENTIALS}/{victim['id']}/secure-values/password", headers=vault.admin)
    assert still.json()["data"]["value"] == "victim-password"


async def test_a_ciphertext_copied_to_another_field_fails_clearly(vault: Vault) -> None:
    credential = await _two_secrets(vault)
    values = await vault.values_of(credential["id"])
    await vault.execute(
        "UPDATE credentials_values SET value = :token WHERE id = :id",
        token=values["password"]["value"],
        id=values["pin"]["id"],
    )
    response = await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values", headers=vault.admin)
    assert response.status_code == 409
    assert [f["fieldId"] for f in response.json()["fields"]] == ["pin"]
    assert PASSWORD not in response.text
    ok = await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values/password", headers=vault.admin)
    assert ok.json()["data"]["value"] == PASSWORD


@pytest.mark.parametrize(
    ("mangle", "reason", "words"),
    [
        (lambda t: t.replace("v1:ktest-a:", "v1:kgone:"), "unknown_key", "key 'kgone', which is not configured"),
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), "authentication", "altered"),
        (lambda t: "not a token", "malformed", "not a valid encrypted value"),
    ],
)
async def test_unreadable_ciphertexts_are_reported(vault: Vault, mangle: Any, reason: str, words: str) -> None:
    credential = await _two_secrets(vault)
    row = (await vault.values_of(credential["id"]))["password"]
    await vault.execute("UPDATE credentials_values SET value = :v WHERE id = :id", v=mangle(row["value"]), id=row["id"])
    response = await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values/password", headers=vault.admin)
    assert response.status_code == 409
    assert response.json()["fields"][0]["reason"] == reason and words in response.json()["message"]


async def test_validation_errors_never_echo_a_secret(vault: Vault) -> None:
    ctype = await vault.create_type(TWO_SECRETS)
    company = await vault.company()
    secret = "echo-me-not-" + "x" * 10_000
    body = {
        "name": "x",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": field_list({"user": "u", "password": secret, "bl": "echo-me-not-bl"}),
    }
    response = await vault.client.post(CREDENTIALS, json=body, headers=vault.admin)
    assert response.status_code == 400
    assert "echo-me-not" not in response.text


async def test_secrets_never_reach_logs_or_cache(vault: Vault, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    secret = "log-and-cache-check-secret"
    credential = await _two_secrets(vault, password=secret)
    await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values", headers=vault.admin)
    await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values/password", headers=vault.admin)
    await vault.client.put(
        f"{CREDENTIALS}/{credential['id']}/fields",
        json={"fields": field_list({"password": secret + "-2"})},
        headers=vault.admin,
    )
    bad = await vault.client.post(
        CREDENTIALS,
        json={"name": "x", "typeId": "nope", "companyId": "nope", "fields": field_list({"password": secret})},
        headers=vault.admin,
    )
    assert bad.status_code == 404
    logged = "\n".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    assert "INSERT INTO credentials_values" in logged, "SQL is not logged: the check would prove little"
    assert secret not in logged
    cached = await _cache_dump(vault)
    assert cached, "the cache holds nothing: the check would prove nothing"
    assert secret not in cached and PSK not in cached


async def _cache_dump(vault: Vault) -> str:
    stores = vault.app.host.stores
    if stores.redis is None:
        root = stores.root
        inner = root.inner if isinstance(root, PrefixedStore) else root
        return "\n".join(f"{k} {v.data!r}" for k, v in inner._store.items())  # type: ignore[attr-defined]
    out = []
    async for key in stores.redis.scan_iter(match=f"{stores.prefix}*"):
        value = await stores.redis.get(key)
        out.append(f"{key!r} {value!r}")
    return "\n".join(out)


def _examples(node: Any) -> Any:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("example", "examples"):
                yield value
            else:
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


async def test_openapi_has_no_examples_or_secrets(vault: Vault) -> None:
    await _two_secrets(vault, password="openapi-check-secret")
    schema = await vault.client.get("/v1/schema/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    ours = {
        path: operations
        for path, operations in paths.items()
        if path.startswith(("/v1/credential", "/v1/credential-type"))
    }
    assert len(ours) >= 12
    assert "openapi-check-secret" not in schema.text
    assert list(_examples(ours)) == [], "OpenAPI examples could carry values: there must be none"
    operation = paths["/v1/credential/credentials/{id}/secure-values"]["get"]
    assert operation["x-permissions"] == ["credential.fetch", "credential.secure_values.read"]
