"""Credential type routes: CRUD, lookup by id or name, counts, field validation, gating, cascade."""

from __future__ import annotations

from typing import Any

import pytest
from optima_credentials.services.types import _icon
from vault_helpers import PASSWORD, Vault, aws_fields, field_map, unique, vpn_fields

from optima_platform.http.errors import ApiError

TYPES = "/v1/credential-type"


def errors_at(response: Any) -> list[list[Any]]:
    body = response.json()
    assert response.status_code == 400, response.text
    assert body["message"] == "Validation error" and body["successful"] is False
    return [e["path"] for e in body["errors"]]


async def test_value_types(vault: Vault) -> None:
    response = await vault.client.get("/v1/credential/valuetypes", headers=await vault.headers())
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Value Types Fetched Successfully!",
        "data": [
            "plain_text",
            "license_key",
            "ip_address",
            "generic_secret",
            "bitlocker_key",
            "password",
            "multi_credential",
        ],
        "successful": True,
    }
    assert (await vault.client.get("/v1/credential/valuetypes")).status_code == 401


async def test_create_type_returns_the_spec_shape(vault: Vault) -> None:
    body = {
        "name": unique("GitHub"),
        "permissionScope": "github.credentials",
        "icon": "https://github.com/favicon.ico",
        "fields": [
            {"id": "username", "name": "Username", "required": True, "secure": False, "valueType": "plain_text"},
            {"id": "pat", "name": " Personal Access Token ", "required": True, "valueType": "password"},
        ],
    }
    response = await vault.client.post(TYPES, json=body, headers=await vault.headers("credential_type.create"))
    assert response.status_code == 201
    envelope = response.json()
    assert envelope["message"] == "Credential Type Created Successfully!" and envelope["status"] == 201
    data = envelope["data"]
    assert data["name"] == body["name"] and data["permissionScope"] == "github.credentials"
    assert data["icon"] == "https://github.com/favicon.ico" and data["credentialCount"] == 0
    assert data["fields"][1] == {
        "id": "pat",
        "name": "Personal Access Token",
        "required": True,
        "secure": True,
        "valueType": "password",
    }
    assert data["createdAt"].endswith("Z") and data["id"].startswith("c")


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ([{"id": "a", "name": "A", "valueType": "colour"}], ["fields", 0, "valueType"]),
        (
            [{"id": "a", "name": "A", "valueType": "plain_text"}, {"id": "A", "name": "B", "valueType": "plain_text"}],
            ["fields", 1, "id"],
        ),
        (
            [{"id": "a", "name": "A", "valueType": "plain_text", "subFields": []}],
            ["fields", 0, "subFields"],
        ),
        ([{"id": "a", "name": "A", "valueType": "password", "secure": False}], ["fields", 0, "secure"]),
        ([{"id": "a", "name": "A", "valueType": "plain_text", "secrue": True}], ["fields", 0, "secrue"]),
        ([{"id": "a b", "name": "A", "valueType": "plain_text"}], ["fields", 0, "id"]),
        (
            [
                {
                    "id": "l1",
                    "name": "L1",
                    "valueType": "multi_credential",
                    "subFields": [
                        {
                            "id": "l2",
                            "name": "L2",
                            "valueType": "multi_credential",
                            "subFields": [{"id": "l3", "name": "L3", "valueType": "multi_credential"}],
                        }
                    ],
                }
            ],
            ["fields", 0, "subFields", 0, "subFields", 0, "valueType"],
        ),
    ],
)
async def test_create_type_validates_fields(vault: Vault, fields: list[dict[str, Any]], path: list[Any]) -> None:
    response = await vault.client.post(TYPES, json={"name": unique("Bad"), "fields": fields}, headers=vault.admin)
    assert path in errors_at(response)


async def test_subfields_nest_to_three_levels(vault: Vault) -> None:
    fields = [
        {
            "id": "sites",
            "name": "Sites",
            "valueType": "multi_credential",
            "subFields": [
                {
                    "id": "devices",
                    "name": "Devices",
                    "valueType": "multi_credential",
                    "subFields": [{"id": "pin", "name": "PIN", "valueType": "password"}],
                }
            ],
        }
    ]
    ctype = await vault.create_type(fields)
    assert ctype["fields"][0]["subFields"][0]["subFields"][0]["secure"] is True


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"fields": []}, ["name"]),
        ({"name": "   ", "fields": []}, ["name"]),
        ({"name": "x"}, ["fields"]),
        ({"name": "x", "fields": [], "permissionScope": "no spaces allowed"}, ["permissionScope"]),
        ({"name": "x", "fields": [], "colour": "red"}, ["colour"]),
        ({"name": "x", "fields": "nope"}, ["fields"]),
        ({"name": "x", "fields": [], "icon": "https://example.test/\u0007.ico"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "vpn\u202e"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "javascript:alert(1)"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "JavaScript://example.test/%0aalert(1)"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "data:image/svg+xml;base64,PHN2Zz4="}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "https://example.test/a b.ico"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "https://"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "//example.test/i.ico"}, ["icon"]),
        ({"name": "x", "fields": [], "icon": ""}, ["icon"]),
        ({"name": "x", "fields": [], "icon": "https://example.test/" + "a" * 2100}, ["icon"]),
    ],
)
async def test_create_type_validates_body(vault: Vault, body: dict[str, Any], path: list[Any]) -> None:
    response = await vault.client.post(TYPES, json=body, headers=vault.admin)
    assert path in errors_at(response)


async def test_type_names_are_unique_case_insensitively(vault: Vault) -> None:
    ctype = await vault.create_type()
    response = await vault.client.post(TYPES, json={"name": ctype["name"].upper(), "fields": []}, headers=vault.admin)
    assert response.status_code == 409 and response.json()["error"] == "CredentialTypeExists"


async def test_fetch_type_by_id_or_name(vault: Vault) -> None:
    ctype, _ = await vault.aws()
    headers = await vault.headers("credential_type.fetch", "obj.credentialType.*")
    for identifier in (ctype["id"], ctype["name"], ctype["name"].lower()):
        response = await vault.client.get(f"{TYPES}/{identifier}", headers=headers)
        assert response.status_code == 200, identifier
        data = response.json()["data"]
        assert response.json()["message"] == "Credential Type Fetched Successfully!"
        assert data["id"] == ctype["id"] and data["credentialCount"] == 1


async def test_fetch_unknown_type_is_404(vault: Vault) -> None:
    response = await vault.client.get(f"{TYPES}/no-such-type", headers=vault.admin)
    assert response.status_code == 404
    assert response.json() == {
        "status": 404,
        "message": "Credential type with identifier 'no-such-type' was not found.",
        "error": "CredentialTypeNotFound",
        "successful": False,
    }


async def test_list_types_with_counts_and_gating(vault: Vault) -> None:
    ctype, _ = await vault.aws()
    full = await vault.client.get(
        TYPES, headers=await vault.headers("credential_type.fetch.many", "obj.credentialType.*")
    )
    assert full.status_code == 200 and full.json()["message"] == "Credential Types Fetched Successfully!"
    listed = {t["id"]: t for t in full.json()["data"]}
    assert listed[ctype["id"]]["credentialCount"] == 1
    assert set(listed[ctype["id"]]) == {
        "id",
        "name",
        "permissionScope",
        "icon",
        "fields",
        "credentialCount",
        "createdAt",
        "updatedAt",
    }
    gated = await vault.client.get(
        TYPES,
        headers=await vault.headers("credential_type.fetch.many", "obj.credentialType.id", "obj.credentialType.name"),
    )
    assert all(set(t) == {"id", "name"} for t in gated.json()["data"])
    nothing = await vault.client.get(TYPES, headers=await vault.headers("credential_type.fetch.many"))
    assert all(t == {} for t in nothing.json()["data"])
    one = await vault.client.get(
        f"{TYPES}/{ctype['id']}", headers=await vault.headers("credential_type.fetch", "obj.credentialType.fields")
    )
    assert set(one.json()["data"]) == {"fields"}


async def test_update_type_properties(vault: Vault) -> None:
    ctype = await vault.create_type()
    new_name = unique("GitHub Enterprise")
    response = await vault.client.patch(
        f"{TYPES}/{ctype['id']}",
        json={"name": new_name, "icon": "https://example.test/i.ico", "permissionScope": None},
        headers=await vault.headers("credential_type.update"),
    )
    assert response.status_code == 200 and response.json()["message"] == "Credential Type Updated Successfully!"
    data = response.json()["data"]
    assert data["name"] == new_name and data["icon"] == "https://example.test/i.ico"
    assert data["fields"] == ctype["fields"]
    fetched = await vault.client.get(f"{TYPES}/{new_name}", headers=vault.admin)
    assert fetched.json()["data"]["id"] == ctype["id"]


async def test_update_type_validation_and_404(vault: Vault) -> None:
    ctype = await vault.create_type()
    other = await vault.create_type()
    url = f"{TYPES}/{ctype['id']}"
    assert ["fields", 0, "valueType"] in errors_at(
        await vault.client.patch(
            url, json={"fields": [{"id": "a", "name": "A", "valueType": "?"}]}, headers=vault.admin
        )
    )
    assert ["name"] in errors_at(await vault.client.patch(url, json={"name": ""}, headers=vault.admin))
    assert ["dropFields"] in errors_at(
        await vault.client.patch(url, json={"dropFields": ["region"]}, headers=vault.admin)
    )
    clash = await vault.client.patch(url, json={"name": other["name"]}, headers=vault.admin)
    assert clash.status_code == 409 and clash.json()["error"] == "CredentialTypeExists"
    missing = await vault.client.patch(f"{TYPES}/nope", json={"name": "x"}, headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialTypeNotFound"


async def test_adding_a_required_field_keeps_existing_credentials(vault: Vault) -> None:
    ctype, credential = await vault.aws()
    fields = [
        *aws_fields(),
        {"id": "enterpriseUrl", "name": "Enterprise URL", "required": True, "valueType": "plain_text"},
    ]
    response = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": fields}, headers=vault.admin)
    assert response.status_code == 200
    fetched = (await vault.client.get(f"/v1/credential/credentials/{credential['id']}", headers=vault.admin)).json()
    assert field_map(fetched["data"])["enterpriseUrl"]["value"] is None
    assert field_map(fetched["data"])["accessKeyId"]["value"] == "AKIAIOSFODNN7EXAMPLE"


async def test_removing_a_field_that_credentials_hold_is_refused(vault: Vault) -> None:
    ctype, credential = await vault.aws(accessKeyId="AKIA1", secretAccessKey=PASSWORD, region="eu-west-1")
    without_region = [f for f in aws_fields() if f["id"] != "region"]
    response = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": without_region}, headers=vault.admin)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "FieldChangeConflict" and "region" in body["message"]
    assert body["conflicts"] == [
        {"field": "region", "problem": "Credentials hold values for this removed field", "count": 1}
    ]
    assert "region" in await vault.values_of(credential["id"])
    unchanged = (await vault.client.get(f"{TYPES}/{ctype['id']}", headers=vault.admin)).json()["data"]
    assert [f["id"] for f in unchanged["fields"]] == ["accessKeyId", "secretAccessKey", "region"]


async def test_removing_a_field_with_drop_fields_deletes_its_values_and_audits(vault: Vault) -> None:
    ctype, credential = await vault.aws(accessKeyId="AKIA1", secretAccessKey=PASSWORD, region="eu-west-1")
    without_region = [f for f in aws_fields() if f["id"] != "region"]
    response = await vault.client.patch(
        f"{TYPES}/{ctype['id']}", json={"fields": without_region, "dropFields": ["region"]}, headers=vault.admin
    )
    assert response.status_code == 200, response.text
    assert set(await vault.values_of(credential["id"])) == {"accessKeyId", "secretAccessKey"}
    updates = [row for row in await vault.audit_of(credential["id"]) if row["action"] == "update"]
    assert updates and "region" in str(updates[-1]["field_ids"]) and "type-updated" in str(updates[-1]["detail"])


async def test_removing_an_unused_field_needs_no_drop(vault: Vault) -> None:
    ctype, _ = await vault.aws()
    without_region = [f for f in aws_fields() if f["id"] != "region"]
    response = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": without_region}, headers=vault.admin)
    assert response.status_code == 200
    assert [f["id"] for f in response.json()["data"]["fields"]] == ["accessKeyId", "secretAccessKey"]


async def test_drop_fields_must_name_a_removed_field(vault: Vault) -> None:
    ctype, _ = await vault.aws()
    response = await vault.client.patch(
        f"{TYPES}/{ctype['id']}", json={"fields": aws_fields(), "dropFields": ["accessKeyId"]}, headers=vault.admin
    )
    assert ["dropFields", 0] in errors_at(response)


async def test_a_secure_field_holding_values_cannot_become_plain(vault: Vault) -> None:
    ctype, credential = await vault.aws()
    fields = aws_fields()
    fields[1] = {**fields[1], "secure": False, "valueType": "plain_text"}
    response = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": fields}, headers=vault.admin)
    assert response.status_code == 409
    assert response.json()["conflicts"][0]["field"] == "secretAccessKey"
    assert (await vault.values_of(credential["id"]))["secretAccessKey"]["secure"] in (True, 1)


async def test_making_a_field_secure_encrypts_stored_values(vault: Vault) -> None:
    ctype, credential = await vault.aws(accessKeyId="AKIA-PLAIN-TO-SECURE", secretAccessKey=PASSWORD)
    fields = aws_fields()
    fields[0] = {**fields[0], "secure": True}
    response = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": fields}, headers=vault.admin)
    assert response.status_code == 200, response.text
    row = (await vault.values_of(credential["id"]))["accessKeyId"]
    assert row["secure"] in (True, 1) and row["value"].startswith("v1:ktest-a:")
    assert "AKIA-PLAIN-TO-SECURE" not in await vault.all_text()
    revealed = await vault.client.get(
        f"/v1/credential/credentials/{credential['id']}/secure-values", headers=vault.admin
    )
    assert revealed.json()["data"] == {"accessKeyId": "AKIA-PLAIN-TO-SECURE", "secretAccessKey": PASSWORD}
    fetched = (await vault.client.get(f"/v1/credential/credentials/{credential['id']}", headers=vault.admin)).json()
    assert field_map(fetched["data"])["accessKeyId"]["value"] is None


async def test_value_type_change_needs_compatible_values(vault: Vault) -> None:
    ctype, _ = await vault.aws(accessKeyId="AKIA1", secretAccessKey=PASSWORD, region="10.0.0.1")
    fields = aws_fields()
    fields[0] = {**fields[0], "valueType": "ip_address"}
    refused = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": fields}, headers=vault.admin)
    assert refused.status_code == 409 and refused.json()["conflicts"][0]["field"] == "accessKeyId"
    fields = aws_fields()
    fields[2] = {**fields[2], "valueType": "ip_address"}
    allowed = await vault.client.patch(f"{TYPES}/{ctype['id']}", json={"fields": fields}, headers=vault.admin)
    assert allowed.status_code == 200


async def test_a_secure_fields_value_type_cannot_change_while_it_holds_values(vault: Vault) -> None:
    ctype, _ = await vault.aws()
    url = f"{TYPES}/{ctype['id']}"
    conflicts = []
    for value_type in ("generic_secret", "bitlocker_key"):
        fields = aws_fields()
        fields[1] = {**fields[1], "valueType": value_type}
        refused = await vault.client.patch(url, json={"fields": fields}, headers=vault.admin)
        assert refused.status_code == 409 and refused.json()["error"] == "FieldChangeConflict", refused.text
        conflicts.append(refused.json()["conflicts"])
    # The same answer whether the stored secret would fit the new type or not: nothing is decrypted.
    assert conflicts[0] == conflicts[1]
    ((conflict,),) = conflicts[:1]
    assert conflict["field"] == "secretAccessKey" and conflict["count"] == 1
    assert "clear" in conflict["problem"] and "dropFields" in conflict["problem"]
    assert ctype["fields"] == (await vault.client.get(url, headers=vault.admin)).json()["data"]["fields"]
    unused, _ = await vault.aws()
    fields = aws_fields()
    fields[2] = {**fields[2], "secure": True}
    await vault.client.patch(f"{TYPES}/{unused['id']}", json={"fields": fields}, headers=vault.admin)
    fields[2] = {**fields[2], "valueType": "ip_address"}
    allowed = await vault.client.patch(f"{TYPES}/{unused['id']}", json={"fields": fields}, headers=vault.admin)
    assert allowed.status_code == 200, allowed.text


async def test_removing_a_sub_field_and_a_multi_credential_field(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"],
        company,
        {"hostname": "vpn.example.test"},
        sub_credentials={
            "tunnels": [
                {
                    "name": "T1",
                    "fields": [
                        {"fieldId": "server", "value": "s1"},
                        {"fieldId": "psk", "value": "k"},
                        {"fieldId": "port", "value": "443"},
                    ],
                }
            ]
        },
    )
    sub_id = field_map(credential)["tunnels"]["value"][0]
    no_port = vpn_fields()
    no_port[1]["subFields"] = no_port[1]["subFields"][:2]
    url = f"{TYPES}/{ctype['id']}"
    refused = await vault.client.patch(url, json={"fields": no_port}, headers=vault.admin)
    assert refused.status_code == 409 and refused.json()["conflicts"][0]["field"] == "tunnels.port"
    dropped = await vault.client.patch(
        url, json={"fields": no_port, "dropFields": ["tunnels.port"]}, headers=vault.admin
    )
    assert dropped.status_code == 200
    assert set(await vault.values_of(sub_id)) == {"server", "psk"}
    no_tunnels = vpn_fields()[:1]
    refused = await vault.client.patch(url, json={"fields": no_tunnels}, headers=vault.admin)
    assert refused.status_code == 409 and refused.json()["conflicts"][0]["field"] == "tunnels"
    dropped = await vault.client.patch(url, json={"fields": no_tunnels, "dropFields": ["tunnels"]}, headers=vault.admin)
    assert dropped.status_code == 200
    assert await vault.rows("SELECT id FROM credentials_credentials WHERE id = :id", id=sub_id) == []
    assert await vault.rows("SELECT id FROM credentials_values WHERE credential_id = :id", id=sub_id) == []
    assert [row["action"] for row in await vault.audit_of(sub_id)] == ["create", "update", "delete"]


async def test_delete_type_cascades_to_its_credentials(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"],
        company,
        {"hostname": "vpn.example.test"},
        sub_credentials={
            "tunnels": [
                {"name": "T1", "fields": [{"fieldId": "server", "value": "s1"}, {"fieldId": "psk", "value": "k"}]}
            ]
        },
    )
    sub_id = field_map(credential)["tunnels"]["value"][0]
    response = await vault.client.delete(
        f"{TYPES}/{ctype['id']}", headers=await vault.headers("credential_type.delete")
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Credential Type Deleted Successfully!",
        "data": None,
        "successful": True,
    }
    for table, column in (("credentials_credentials", "id"), ("credentials_values", "credential_id")):
        for credential_id in (credential["id"], sub_id):
            assert await vault.rows(f"SELECT * FROM {table} WHERE {column} = :id", id=credential_id) == []
    assert [row["action"] for row in await vault.audit_of(credential["id"])] == ["create", "delete"]
    assert [row["action"] for row in await vault.audit_of(sub_id)] == ["create", "delete"]
    again = await vault.client.delete(f"{TYPES}/{ctype['id']}", headers=vault.admin)
    assert again.status_code == 404 and again.json()["error"] == "CredentialTypeNotFound"


async def test_credentials_by_type(vault: Vault) -> None:
    ctype = await vault.create_type()
    company = await vault.company()
    await vault.create_credential(ctype["id"], company, name="Staging AWS")
    await vault.create_credential(ctype["id"], company, name="Production AWS")
    other, _ = await vault.aws()
    url = f"{TYPES}/{ctype['id']}/credentials"
    response = await vault.client.get(
        url, headers=await vault.headers("credential_type.fetch", "credential.fetch.many", "obj.credential.*")
    )
    assert response.status_code == 200 and response.json()["message"] == "Credentials Fetched Successfully!"
    data = response.json()["data"]
    assert [c["name"] for c in data] == ["Production AWS", "Staging AWS"]
    assert all(isinstance(c["fields"], list) and c["typeId"] == ctype["id"] for c in data)
    assert all(field_map(c)["secretAccessKey"]["value"] is None for c in data)
    gated = await vault.client.get(
        url, headers=await vault.headers("credential_type.fetch", "credential.fetch.many", "obj.credential.name")
    )
    assert gated.json()["data"] == [{"name": "Production AWS"}, {"name": "Staging AWS"}]
    missing = await vault.client.get(f"{TYPES}/nope/credentials", headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialTypeNotFound"
    assert other["id"] != ctype["id"]


async def test_icons_are_http_urls_or_short_names(vault: Vault) -> None:
    for icon in ("https://github.com/favicon.ico", "http://icons.example.test:8080/vpn.png?v=2", "vpn-key", None):
        response = await vault.client.post(
            TYPES, json={"name": unique("Icon"), "fields": [], "icon": icon}, headers=vault.admin
        )
        assert response.status_code == 201 and response.json()["data"]["icon"] == icon, response.text
        url = f"{TYPES}/{response.json()['data']['id']}"
        bad = await vault.client.patch(url, json={"icon": "javascript:alert(1)"}, headers=vault.admin)
        assert ["icon"] in errors_at(bad)
    cleared = await vault.client.patch(url, json={"icon": None}, headers=vault.admin)
    assert cleared.status_code == 200 and cleared.json()["data"]["icon"] is None


async def test_icons_with_nul_are_refused(vault: Vault) -> None:
    for icon in ("vpn\u0000", "https://example.test/\u0000.ico"):
        response = await vault.client.post(
            TYPES, json={"name": unique("Nul"), "fields": [], "icon": icon}, headers=vault.admin
        )
        assert response.status_code == 400, response.text
        with pytest.raises(ApiError):
            _icon(icon)


async def test_names_whose_case_folding_grows_are_stored(vault: Vault) -> None:
    for grows in ("\u00df" * 150, "\ufb03" * 66):
        prefix = unique("t")
        name = prefix + grows
        created = await vault.client.post(TYPES, json={"name": name, "fields": []}, headers=vault.admin)
        assert created.status_code == 201, created.text
        found = await vault.client.get(f"{TYPES}/{prefix.upper()}{grows}", headers=vault.admin)
        assert found.status_code == 200 and found.json()["data"]["id"] == created.json()["data"]["id"]
        again = await vault.client.post(
            TYPES, json={"name": prefix.upper() + grows.upper()[:100], "fields": []}, headers=vault.admin
        )
        assert again.status_code == 201, again.text
        again = await vault.client.post(TYPES, json={"name": prefix.upper() + grows, "fields": []}, headers=vault.admin)
        assert again.status_code == 409 and again.json()["error"] == "CredentialTypeExists"
        renamed = await vault.client.patch(
            f"{TYPES}/{created.json()['data']['id']}", json={"name": name + "\ufb03"}, headers=vault.admin
        )
        assert renamed.status_code == 200, renamed.text
