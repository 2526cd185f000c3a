"""Credential routes: create, fetch, list by company, PATCH, PUT/GET fields, DELETE, gating."""

from __future__ import annotations

from typing import Any

import pytest
from vault_helpers import PASSWORD, PSK, Vault, field_list, field_map, tunnel, vpn_fields

CREDENTIALS = "/v1/credential/credentials"


def error_paths(response: Any) -> list[list[Any]]:
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "ValidationError" and body["message"] == "Validation error"
    return [e["path"] for e in body["errors"]]


async def test_create_credential(vault: Vault) -> None:
    ctype = await vault.create_type()
    company = await vault.company("Acme Corp")
    body = {
        "name": "Production AWS Credentials",
        "notes": "Used for production S3 access",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": [
            {"id": "ckx1", "fieldId": "accessKeyId", "value": "AKIAIOSFODNN7EXAMPLE"},
            {"id": "ckx2", "fieldId": "secretAccessKey", "value": PASSWORD},
        ],
    }
    response = await vault.client.post(
        CREDENTIALS, json=body, headers=await vault.headers("credential.create", "obj.credential.*")
    )
    assert response.status_code == 201
    envelope = response.json()
    assert envelope["message"] == "Credential Created Successfully!" and envelope["status"] == 201
    data = envelope["data"]
    assert data["name"] == "Production AWS Credentials" and data["notes"] == "Used for production S3 access"
    assert data["typeId"] == ctype["id"] and data["companyId"] == company
    assert data["company"] == {"id": company, "name": "Acme Corp"}
    assert data["type"]["id"] == ctype["id"] and data["type"]["fields"] == ctype["fields"]
    assert data["fields"] == [
        {
            "id": "accessKeyId",
            "name": "Access Key ID",
            "secure": False,
            "required": True,
            "valueType": "plain_text",
            "value": "AKIAIOSFODNN7EXAMPLE",
        },
        {
            "id": "secretAccessKey",
            "name": "Secret Access Key",
            "secure": True,
            "required": True,
            "valueType": "password",
            "value": None,
        },
        {
            "id": "region",
            "name": "Region",
            "secure": False,
            "required": False,
            "valueType": "plain_text",
            "value": None,
        },
    ]
    assert PASSWORD not in response.text
    assert "subCredentialOfId" not in data


async def test_create_credential_response_is_gated(vault: Vault) -> None:
    ctype = await vault.create_type()
    company = await vault.company()
    body = {
        "name": "Gated",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": field_list({"accessKeyId": "A", "secretAccessKey": PASSWORD}),
    }
    response = await vault.client.post(
        CREDENTIALS,
        json=body,
        headers=await vault.headers("credential.create", "obj.credential.id", "obj.credential.name"),
    )
    assert response.status_code == 201
    assert set(response.json()["data"]) == {"id", "name"}


@pytest.mark.parametrize(
    ("values", "path"),
    [
        ({"accessKeyId": "AKIA"}, ["fields"]),
        ({"accessKeyId": "AKIA", "secretAccessKey": "   "}, ["fields", 1, "value"]),
        ({"accessKeyId": "AKIA", "secretAccessKey": PASSWORD, "nope": "x"}, ["fields", 2, "fieldId"]),
        ({"accessKeyId": 12, "secretAccessKey": PASSWORD}, ["fields", 0, "value"]),
        ({"accessKeyId": "x" * 10_001, "secretAccessKey": PASSWORD}, ["fields", 0, "value"]),
    ],
)
async def test_create_validates_fields_against_the_type(vault: Vault, values: dict[str, Any], path: list[Any]) -> None:
    ctype = await vault.create_type()
    company = await vault.company()
    body = {"name": "x", "typeId": ctype["id"], "companyId": company, "fields": field_list(values)}
    response = await vault.client.post(CREDENTIALS, json=body, headers=vault.admin)
    assert path in error_paths(response)
    assert PASSWORD not in response.text
    assert "x" * 100 not in response.text


async def test_create_checks_values_by_value_type(vault: Vault) -> None:
    fields = [
        {"id": "ip", "name": "IP", "required": True, "valueType": "ip_address"},
        {"id": "bl", "name": "BitLocker", "required": False, "secure": True, "valueType": "bitlocker_key"},
    ]
    ctype = await vault.create_type(fields)
    company = await vault.company()
    bad = {
        "name": "x",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": field_list({"ip": "10.0.0.300", "bl": "123456"}),
    }
    response = await vault.client.post(CREDENTIALS, json=bad, headers=vault.admin)
    assert error_paths(response) == [["fields", 0, "value"], ["fields", 1, "value"]]
    good_key = "000000-111111-222222-333333-444444-555555-666666-707707"
    created = await vault.create_credential(ctype["id"], company, {"ip": " 2001:db8::1 ", "bl": good_key})
    assert field_map(created)["ip"]["value"] == "2001:db8::1" and field_map(created)["bl"]["value"] is None


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"name": None}, ["name"]),
        ({"name": "   "}, ["name"]),
        ({"fields": None}, ["fields"]),
        ({"notes": 5}, ["notes"]),
        ({"colour": "red"}, ["colour"]),
    ],
)
async def test_create_validates_the_body(vault: Vault, change: dict[str, Any], path: list[Any]) -> None:
    ctype = await vault.create_type()
    company = await vault.company()
    body = {"name": "x", "typeId": ctype["id"], "companyId": company, "fields": [], **change}
    body = {k: v for k, v in body.items() if v is not None}
    assert path in error_paths(await vault.client.post(CREDENTIALS, json=body, headers=vault.admin))


async def test_create_refuses_ciphertext_as_a_secure_value(vault: Vault) -> None:
    _, existing = await vault.aws()
    token = (await vault.values_of(existing["id"]))["secretAccessKey"]["value"]
    ctype = await vault.create_type()
    company = await vault.company()
    body = {
        "name": "x",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": field_list({"accessKeyId": "A", "secretAccessKey": token}),
    }
    response = await vault.client.post(CREDENTIALS, json=body, headers=vault.admin)
    assert ["fields", 1, "value"] in error_paths(response)


async def test_create_with_unknown_type_or_company_is_404(vault: Vault) -> None:
    ctype = await vault.create_type()
    company = await vault.company()
    fields = field_list({"accessKeyId": "A", "secretAccessKey": PASSWORD})
    no_type = await vault.client.post(
        CREDENTIALS, json={"name": "x", "typeId": "nope", "companyId": company, "fields": fields}, headers=vault.admin
    )
    assert no_type.status_code == 404 and no_type.json()["error"] == "CredentialTypeNotFound"
    no_company = await vault.client.post(
        CREDENTIALS,
        json={"name": "x", "typeId": ctype["id"], "companyId": "nope", "fields": fields},
        headers=vault.admin,
    )
    assert no_company.status_code == 404 and no_company.json()["error"] == "CompanyNotFound"


async def test_create_with_inline_sub_credentials(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"],
        company,
        {"hostname": "vpn.example.test"},
        sub_credentials={
            "tunnels": [tunnel("Tunnel 1", "vpn1.example.com", port="443"), tunnel("Tunnel 2", "vpn2.example.com")]
        },
    )
    sub_ids = field_map(credential)["tunnels"]["value"]
    assert len(sub_ids) == 2
    subs = (await vault.client.get(f"{CREDENTIALS}/{credential['id']}/sub-credentials", headers=vault.admin)).json()[
        "data"
    ]
    assert [s["id"] for s in subs] == sub_ids and [s["name"] for s in subs] == ["Tunnel 1", "Tunnel 2"]
    bad = {
        "name": "x",
        "typeId": ctype["id"],
        "companyId": company,
        "fields": field_list({"hostname": "h"}),
        "subCredentials": {"tunnels": [{"name": "T", "fields": field_list({"server": "s"})}], "hostname": []},
    }
    paths = error_paths(await vault.client.post(CREDENTIALS, json=bad, headers=vault.admin))
    assert ["subCredentials", "tunnels", 0, "fields"] in paths and ["subCredentials", "hostname"] in paths


async def test_fetch_credential_and_gating(vault: Vault) -> None:
    _, credential = await vault.aws()
    url = f"{CREDENTIALS}/{credential['id']}"
    full = await vault.client.get(url, headers=await vault.headers("credential.fetch", "obj.credential.*"))
    assert full.status_code == 200 and full.json()["message"] == "Credential Fetched Successfully!"
    assert full.json()["data"] == credential
    gated = await vault.client.get(url, headers=await vault.headers("credential.fetch", "obj.credential.fields"))
    assert set(gated.json()["data"]) == {"fields"}
    assert field_map(gated.json()["data"])["secretAccessKey"]["value"] is None
    nothing = await vault.client.get(url, headers=await vault.headers("credential.fetch"))
    assert nothing.json()["data"] == {}
    missing = await vault.client.get(f"{CREDENTIALS}/nope", headers=vault.admin)
    assert missing.status_code == 404
    assert missing.json() == {
        "status": 404,
        "message": "Credential with id 'nope' was not found.",
        "error": "CredentialNotFound",
        "successful": False,
    }


async def test_list_company_credentials(vault: Vault) -> None:
    ctype = await vault.create_type()
    vpn = await vault.create_type(vpn_fields())
    company = await vault.company()
    other_company = await vault.company()
    await vault.create_credential(ctype["id"], company, name="b")
    await vault.create_credential(ctype["id"], company, name="a")
    await vault.create_credential(
        vpn["id"], company, {"hostname": "h"}, name="c", sub_credentials={"tunnels": [tunnel("T", "s")]}
    )
    await vault.create_credential(ctype["id"], other_company, name="elsewhere")
    url = f"{CREDENTIALS}/company/{company}"
    response = await vault.client.get(url, headers=await vault.headers("credential.fetch.many", "obj.credential.*"))
    assert response.status_code == 200 and response.json()["message"] == "Company Credentials Fetched Successfully!"
    data = response.json()["data"]
    assert [c["name"] for c in data] == ["a", "b", "c"]
    assert all(isinstance(c["fields"], list) for c in data)
    gated = await vault.client.get(url, headers=await vault.headers("credential.fetch.many", "obj.credential.name"))
    assert gated.json()["data"] == [{"name": "a"}, {"name": "b"}, {"name": "c"}]
    missing = await vault.client.get(f"{CREDENTIALS}/company/nope", headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CompanyNotFound"


async def test_patch_credential(vault: Vault) -> None:
    _, credential = await vault.aws(accessKeyId="AKIA-OLD", secretAccessKey=PASSWORD, region="eu-west-1")
    url = f"{CREDENTIALS}/{credential['id']}"
    body = {
        "name": "Updated Credential Name",
        "notes": "Updated notes",
        "fields": field_list({"accessKeyId": "AKIA-NEW", "region": ""}),
    }
    response = await vault.client.patch(
        url, json=body, headers=await vault.headers("credential.update", "obj.credential.*")
    )
    assert response.status_code == 200 and response.json()["message"] == "Credential Updated Successfully!"
    data = response.json()["data"]
    assert data["name"] == "Updated Credential Name" and data["notes"] == "Updated notes"
    fields = field_map(data)
    assert fields["accessKeyId"]["value"] == "AKIA-NEW" and fields["region"]["value"] is None
    assert fields["secretAccessKey"]["value"] is None
    assert set(await vault.values_of(credential["id"])) == {"accessKeyId", "secretAccessKey"}
    cleared = await vault.client.patch(url, json={"notes": None}, headers=vault.admin)
    assert cleared.json()["data"]["notes"] is None and cleared.json()["data"]["name"] == "Updated Credential Name"
    revealed = await vault.client.get(f"{url}/secure-values", headers=vault.admin)
    assert revealed.json()["data"] == {"secretAccessKey": PASSWORD}


async def test_patch_validation_and_404(vault: Vault) -> None:
    _, credential = await vault.aws()
    url = f"{CREDENTIALS}/{credential['id']}"
    assert ["name"] in error_paths(await vault.client.patch(url, json={"name": ""}, headers=vault.admin))
    assert ["fields", 0, "value"] in error_paths(
        await vault.client.patch(url, json={"fields": field_list({"secretAccessKey": ""})}, headers=vault.admin)
    )
    assert ["fields", 0, "fieldId"] in error_paths(
        await vault.client.patch(url, json={"fields": field_list({"nope": "x"})}, headers=vault.admin)
    )
    assert ["typeId"] in error_paths(await vault.client.patch(url, json={"typeId": "x"}, headers=vault.admin))
    missing = await vault.client.patch(f"{CREDENTIALS}/nope", json={"name": "x"}, headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_put_fields_updates_given_fields_and_keeps_the_others(vault: Vault) -> None:
    _, credential = await vault.aws(accessKeyId="AKIA-OLD", secretAccessKey=PASSWORD, region="eu-west-1")
    url = f"{CREDENTIALS}/{credential['id']}/fields"
    headers = await vault.headers("credential.update", "credential.fields.update", "obj.credential.*")
    response = await vault.client.put(
        url, json={"fields": field_list({"secretAccessKey": "newSecretKeyValue123"})}, headers=headers
    )
    assert response.status_code == 200 and response.json()["message"] == "Credential Fields Updated Successfully!"
    fields = field_map(response.json()["data"])
    assert fields["accessKeyId"]["value"] == "AKIA-OLD" and fields["region"]["value"] == "eu-west-1"
    assert fields["secretAccessKey"]["value"] is None
    revealed = await vault.client.get(f"{CREDENTIALS}/{credential['id']}/secure-values", headers=vault.admin)
    assert revealed.json()["data"] == {"secretAccessKey": "newSecretKeyValue123"}
    emptied = await vault.client.put(url, json={"fields": field_list({"accessKeyId": "  "})}, headers=vault.admin)
    assert ["fields", 0, "value"] in error_paths(emptied)
    assert ["fields"] in error_paths(await vault.client.put(url, json={}, headers=vault.admin))
    missing = await vault.client.put(f"{CREDENTIALS}/nope/fields", json={"fields": []}, headers=vault.admin)
    assert missing.status_code == 404


async def test_sending_back_the_ciphertext_keeps_the_secret(vault: Vault) -> None:
    _, credential = await vault.aws(accessKeyId="AKIA-1", secretAccessKey=PASSWORD)
    _, other = await vault.aws(accessKeyId="AKIA-2", secretAccessKey="another secret")
    base = f"{CREDENTIALS}/{credential['id']}"
    stored = (await vault.client.get(f"{base}/fields", headers=vault.admin)).json()["data"]
    before = await vault.values_of(credential["id"])
    echoed = [{**entry, "value": "AKIA-1b"} if entry["fieldId"] == "accessKeyId" else entry for entry in stored]
    response = await vault.client.put(f"{base}/fields", json={"fields": echoed}, headers=vault.admin)
    assert response.status_code == 200, response.text
    after = await vault.values_of(credential["id"])
    assert after["secretAccessKey"]["value"] == before["secretAccessKey"]["value"]
    assert after["accessKeyId"]["value"] == "AKIA-1b"
    revealed = await vault.client.get(f"{base}/secure-values", headers=vault.admin)
    assert revealed.json()["data"] == {"secretAccessKey": PASSWORD}
    foreign = (await vault.values_of(other["id"]))["secretAccessKey"]["value"]
    refused = await vault.client.patch(
        base, json={"fields": field_list({"secretAccessKey": foreign})}, headers=vault.admin
    )
    assert ["fields", 0, "value"] in error_paths(refused)
    assert (await vault.values_of(credential["id"]))["secretAccessKey"]["value"] == before["secretAccessKey"]["value"]


async def test_get_fields_returns_ciphertext(vault: Vault) -> None:
    _, credential = await vault.aws()
    url = f"{CREDENTIALS}/{credential['id']}/fields"
    response = await vault.client.get(url, headers=await vault.headers("credential.fetch", "credential.fields.fetch"))
    assert response.status_code == 200 and response.json()["message"] == "Credential Fields Fetched Successfully!"
    data = {entry["fieldId"]: entry for entry in response.json()["data"]}
    stored = await vault.values_of(credential["id"])
    assert set(data) == {"accessKeyId", "secretAccessKey"}
    assert data["accessKeyId"] == {
        "id": stored["accessKeyId"]["id"],
        "fieldId": "accessKeyId",
        "value": "AKIAIOSFODNN7EXAMPLE",
    }
    assert data["secretAccessKey"]["value"] == stored["secretAccessKey"]["value"]
    assert data["secretAccessKey"]["value"].startswith("v1:ktest-a:") and PASSWORD not in response.text
    missing = await vault.client.get(f"{CREDENTIALS}/nope/fields", headers=vault.admin)
    assert missing.status_code == 404


async def test_delete_credential_cascades(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"], company, {"hostname": "h"}, sub_credentials={"tunnels": [tunnel("T1", "s1"), tunnel("T2", "s2")]}
    )
    sub_ids = field_map(credential)["tunnels"]["value"]
    response = await vault.client.delete(
        f"{CREDENTIALS}/{credential['id']}", headers=await vault.headers("credential.delete")
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Credential Deleted Successfully!",
        "data": None,
        "successful": True,
    }
    for credential_id in [credential["id"], *sub_ids]:
        assert await vault.rows("SELECT id FROM credentials_credentials WHERE id = :id", id=credential_id) == []
        assert await vault.rows("SELECT id FROM credentials_values WHERE credential_id = :id", id=credential_id) == []
        assert (await vault.audit_of(credential_id))[-1]["action"] == "delete"
    assert PSK not in await vault.all_text()
    again = await vault.client.delete(f"{CREDENTIALS}/{credential['id']}", headers=vault.admin)
    assert again.status_code == 404 and again.json()["error"] == "CredentialNotFound"


async def test_a_company_holding_credentials_cannot_be_deleted_underneath_them(vault: Vault) -> None:
    _, credential = await vault.aws()
    with pytest.raises(Exception, match=r"(?i)foreign key|violates"):
        await vault.execute("DELETE FROM companies WHERE id = :id", id=credential["companyId"])
    assert await vault.rows("SELECT id FROM credentials_credentials WHERE id = :id", id=credential["id"])


async def test_every_credential_response_is_gated(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields())
    credential = await vault.create_credential(ctype["id"], await vault.company(), {"hostname": "h"})
    base = f"{CREDENTIALS}/{credential['id']}"
    headers = await vault.headers("credential.*", "obj.credential.name", "obj.credential.subCredentialOfId")
    responses = [
        await vault.client.patch(base, json={"name": "Gated"}, headers=headers),
        await vault.client.put(f"{base}/fields", json={"fields": field_list({"hostname": "h2"})}, headers=headers),
        await vault.client.post(
            f"{base}/sub-credentials",
            json={"fieldId": "tunnels", "name": "T", "fields": field_list({"server": "s", "psk": "k"})},
            headers=headers,
        ),
    ]
    assert [r.status_code for r in responses] == [200, 200, 201]
    assert responses[0].json()["data"] == {"name": "Gated"} == responses[1].json()["data"]
    assert responses[2].json()["data"] == {"name": "T", "subCredentialOfId": credential["id"]}
