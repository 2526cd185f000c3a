"""Sub-credential routes: list, add (checked against subFields), remove (and from the parent's field)."""

from __future__ import annotations

import asyncio
from typing import Any

from vault_helpers import PSK, Vault, field_list, field_map, tunnel, vpn_fields

CREDENTIALS = "/v1/credential/credentials"


async def _vpn(vault: Vault, *, required: bool = False, tunnels: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    ctype = await vault.create_type(vpn_fields(tunnels_required=required))
    company = await vault.company()
    subs = {"tunnels": tunnels} if tunnels is not None else None
    return await vault.create_credential(ctype["id"], company, {"hostname": "vpn.example.test"}, sub_credentials=subs)


async def test_list_sub_credentials(vault: Vault) -> None:
    parent = await _vpn(vault, tunnels=[tunnel("Tunnel 1", "vpn1.example.com", port="443")])
    url = f"{CREDENTIALS}/{parent['id']}/sub-credentials"
    headers = await vault.headers("credential.fetch", "credential.sub_credentials.fetch", "obj.credential.*")
    response = await vault.client.get(url, headers=headers)
    assert response.status_code == 200 and response.json()["message"] == "Sub-Credentials Fetched Successfully!"
    (sub,) = response.json()["data"]
    assert sub["name"] == "Tunnel 1" and sub["subCredentialOfId"] == parent["id"] and sub["notes"] is None
    assert sub["typeId"] == parent["typeId"] and sub["companyId"] == parent["companyId"]
    assert sub["fields"] == [
        {"id": "server", "value": "vpn1.example.com", "secure": False},
        {"id": "psk", "value": None, "secure": True},
        {"id": "port", "value": "443", "secure": False},
    ]
    assert sub["createdAt"].endswith("Z") and sub["company"]["id"] == parent["companyId"]
    gated = await vault.client.get(
        url, headers=await vault.headers("credential.fetch", "credential.sub_credentials.fetch", "obj.credential.name")
    )
    assert gated.json()["data"] == [{"name": "Tunnel 1"}]
    missing = await vault.client.get(f"{CREDENTIALS}/nope/sub-credentials", headers=vault.admin)
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_add_sub_credential(vault: Vault) -> None:
    parent = await _vpn(vault)
    url = f"{CREDENTIALS}/{parent['id']}/sub-credentials"
    body = {
        "fieldId": "tunnels",
        "name": "Tunnel 2",
        "fields": field_list({"server": "vpn2.example.com", "psk": PSK, "port": "1194"}),
    }
    headers = await vault.headers("credential.fetch", "credential.sub_credentials.create", "obj.credential.*")
    response = await vault.client.post(url, json=body, headers=headers)
    assert response.status_code == 201 and response.json()["message"] == "Sub-Credential Created Successfully!"
    sub = response.json()["data"]
    assert sub["subCredentialOfId"] == parent["id"] and sub["name"] == "Tunnel 2"
    assert {f["id"]: f["value"] for f in sub["fields"]} == {"server": "vpn2.example.com", "psk": None, "port": "1194"}
    assert PSK not in response.text
    fetched = (await vault.client.get(f"{CREDENTIALS}/{parent['id']}", headers=vault.admin)).json()["data"]
    assert field_map(fetched)["tunnels"]["value"] == [sub["id"]]
    revealed = await vault.client.get(f"{CREDENTIALS}/{sub['id']}/secure-values", headers=vault.admin)
    assert revealed.json()["data"] == {"psk": PSK}
    assert (await vault.audit_of(sub["id"]))[0]["action"] == "create"


async def test_add_sub_credential_validation_and_404(vault: Vault) -> None:
    parent = await _vpn(vault)
    url = f"{CREDENTIALS}/{parent['id']}/sub-credentials"
    cases = [
        ({"fieldId": "hostname", "name": "x", "fields": []}, ["fieldId"]),
        ({"fieldId": "nope", "name": "x", "fields": []}, ["fieldId"]),
        ({"fieldId": "tunnels", "name": "x", "fields": field_list({"server": "s"})}, ["fields"]),
        ({"fieldId": "tunnels", "name": " ", "fields": field_list({"server": "s", "psk": "k"})}, ["name"]),
        (
            {"fieldId": "tunnels", "name": "x", "fields": field_list({"server": "s", "psk": "k", "other": "?"})},
            ["fields", 2, "fieldId"],
        ),
        ({"name": "x", "fields": []}, ["fieldId"]),
        ({"fieldId": "tunnels", "name": "x", "fields": [], "extra": 1}, ["extra"]),
    ]
    for body, path in cases:
        response = await vault.client.post(url, json=body, headers=vault.admin)
        assert response.status_code == 400, (body, response.text)
        assert path in [e["path"] for e in response.json()["errors"]], (body, response.json())
    missing = await vault.client.post(
        f"{CREDENTIALS}/nope/sub-credentials",
        json={"fieldId": "tunnels", "name": "x", "fields": field_list({"server": "s", "psk": "k"})},
        headers=vault.admin,
    )
    assert missing.status_code == 404 and missing.json()["error"] == "CredentialNotFound"


async def test_remove_sub_credential(vault: Vault) -> None:
    parent = await _vpn(vault, tunnels=[tunnel("T1", "s1"), tunnel("T2", "s2")])
    first, second = field_map(parent)["tunnels"]["value"]
    url = f"{CREDENTIALS}/{parent['id']}/sub-credentials/{first}"
    response = await vault.client.delete(
        url, headers=await vault.headers("credential.fetch", "credential.sub_credentials.delete")
    )
    assert response.status_code == 200
    assert response.json() == {
        "status": 200,
        "message": "Sub-Credential Removed Successfully!",
        "data": None,
        "successful": True,
    }
    fetched = (await vault.client.get(f"{CREDENTIALS}/{parent['id']}", headers=vault.admin)).json()["data"]
    assert field_map(fetched)["tunnels"]["value"] == [second]
    assert await vault.rows("SELECT id FROM credentials_values WHERE credential_id = :id", id=first) == []
    assert [row["action"] for row in await vault.audit_of(first)] == ["create", "delete"]
    again = await vault.client.delete(url, headers=vault.admin)
    assert again.status_code == 404
    assert again.json() == {
        "status": 404,
        "message": "Sub-credential not found",
        "error": "SubCredentialNotFound",
        "successful": False,
    }


async def test_a_sub_credential_of_another_parent_is_not_found(vault: Vault) -> None:
    parent = await _vpn(vault, tunnels=[tunnel("T1", "s1")])
    other = await _vpn(vault, tunnels=[tunnel("T1", "s1")])
    foreign = field_map(other)["tunnels"]["value"][0]
    response = await vault.client.delete(f"{CREDENTIALS}/{parent['id']}/sub-credentials/{foreign}", headers=vault.admin)
    assert response.status_code == 404 and response.json()["error"] == "SubCredentialNotFound"
    assert await vault.rows("SELECT id FROM credentials_credentials WHERE id = :id", id=foreign)
    missing_parent = await vault.client.delete(f"{CREDENTIALS}/nope/sub-credentials/{foreign}", headers=vault.admin)
    assert missing_parent.status_code == 404 and missing_parent.json()["error"] == "CredentialNotFound"


async def test_the_last_sub_credential_of_a_required_field_stays(vault: Vault) -> None:
    parent = await _vpn(vault, required=True, tunnels=[tunnel("Only", "s1")])
    (only,) = field_map(parent)["tunnels"]["value"]
    for url in (f"{CREDENTIALS}/{parent['id']}/sub-credentials/{only}", f"{CREDENTIALS}/{only}"):
        response = await vault.client.delete(url, headers=vault.admin)
        assert response.status_code == 409 and response.json()["error"] == "RequiredSubCredential", url
    body = {"fieldId": "tunnels", "name": "Second", "fields": field_list({"server": "s2", "psk": "k"})}
    added = await vault.client.post(f"{CREDENTIALS}/{parent['id']}/sub-credentials", json=body, headers=vault.admin)
    assert added.status_code == 201
    response = await vault.client.delete(f"{CREDENTIALS}/{parent['id']}/sub-credentials/{only}", headers=vault.admin)
    assert response.status_code == 200


async def test_required_multi_credential_field_needs_one_on_create(vault: Vault) -> None:
    ctype = await vault.create_type(vpn_fields(tunnels_required=True))
    company = await vault.company()
    body = {"name": "x", "typeId": ctype["id"], "companyId": company, "fields": field_list({"hostname": "h"})}
    response = await vault.client.post(CREDENTIALS, json=body, headers=vault.admin)
    assert response.status_code == 400
    assert ["subCredentials", "tunnels"] in [e["path"] for e in response.json()["errors"]]


async def test_nested_sub_credentials(vault: Vault) -> None:
    fields = [
        {"id": "name", "name": "Site", "required": True, "valueType": "plain_text"},
        {
            "id": "racks",
            "name": "Racks",
            "valueType": "multi_credential",
            "subFields": [
                {"id": "label", "name": "Label", "required": True, "valueType": "plain_text"},
                {
                    "id": "devices",
                    "name": "Devices",
                    "valueType": "multi_credential",
                    "subFields": [{"id": "pin", "name": "PIN", "required": True, "valueType": "password"}],
                },
            ],
        },
    ]
    ctype = await vault.create_type(fields)
    company = await vault.company()
    device = {"name": "Switch", "fields": field_list({"pin": "4242-secret"})}
    rack = {"name": "Rack A", "fields": field_list({"label": "A"}), "subCredentials": {"devices": [device]}}
    parent = await vault.create_credential(ctype["id"], company, {"name": "HQ"}, sub_credentials={"racks": [rack]})
    (rack_id,) = field_map(parent)["racks"]["value"]
    rack_body = (await vault.client.get(f"{CREDENTIALS}/{rack_id}", headers=vault.admin)).json()["data"]
    (device_id,) = {f["id"]: f for f in rack_body["fields"]}["devices"]["value"]
    revealed = await vault.client.get(f"{CREDENTIALS}/{device_id}/secure-values/pin", headers=vault.admin)
    assert revealed.json()["data"] == {"fieldId": "pin", "value": "4242-secret"}
    trail = (await vault.client.get(f"{CREDENTIALS}/{parent['id']}/audit", headers=vault.admin)).json()["data"]
    assert {row["credentialId"] for row in trail} == {parent["id"], rack_id, device_id}
    await vault.client.delete(f"{CREDENTIALS}/{parent['id']}", headers=vault.admin)
    for credential_id in (rack_id, device_id):
        assert await vault.rows("SELECT id FROM credentials_credentials WHERE id = :id", id=credential_id) == []


async def test_concurrent_removals_keep_a_required_fields_last_sub_credential(vault: Vault) -> None:
    for _ in range(3):
        parent = await _vpn(vault, required=True, tunnels=[tunnel("T1", "s1"), tunnel("T2", "s2")])
        first, second = field_map(parent)["tunnels"]["value"]
        url = f"{CREDENTIALS}/{parent['id']}/sub-credentials"
        responses = await asyncio.gather(
            vault.client.delete(f"{url}/{first}", headers=vault.admin),
            vault.client.delete(f"{url}/{second}", headers=vault.admin),
        )
        assert sorted(r.status_code for r in responses) == [200, 409], [r.text for r in responses]
        assert next(r for r in responses if r.status_code == 409).json()["error"] == "RequiredSubCredential"
        fetched = (await vault.client.get(f"{CREDENTIALS}/{parent['id']}", headers=vault.admin)).json()["data"]
        assert len(field_map(fetched)["tunnels"]["value"]) == 1


async def test_generic_routes_on_a_sub_credential_need_the_sub_credential_nodes(vault: Vault) -> None:
    parent = await _vpn(vault, tunnels=[tunnel("T1", "s1"), tunnel("T2", "s2")])
    sub, other = field_map(parent)["tunnels"]["value"]
    base = [
        "credential.fetch",
        "credential.update",
        "credential.delete",
        "credential.fields.fetch",
        "credential.fields.update",
        "credential.secure_values.read",
        "obj.credential.*",
    ]
    without = await vault.headers(*base)
    fields = {"fields": field_list({"port": "8443"})}
    calls = [
        ("GET", f"{CREDENTIALS}/{sub}", None, "credential.sub_credentials.fetch"),
        ("GET", f"{CREDENTIALS}/{sub}/fields", None, "credential.sub_credentials.fetch"),
        ("GET", f"{CREDENTIALS}/{sub}/secure-values", None, "credential.sub_credentials.fetch"),
        ("GET", f"{CREDENTIALS}/{sub}/secure-values/psk", None, "credential.sub_credentials.fetch"),
        ("PATCH", f"{CREDENTIALS}/{sub}", {"name": "Renamed"}, "credential.sub_credentials.create"),
        ("PUT", f"{CREDENTIALS}/{sub}/fields", fields, "credential.sub_credentials.create"),
        ("DELETE", f"{CREDENTIALS}/{other}", None, "credential.sub_credentials.delete"),
    ]
    for method, url, body, node in calls:
        refused = await vault.client.request(method, url, json=body, headers=without)
        assert refused.status_code == 403, (method, url, refused.text)
        assert refused.json()["error"] == "InsufficientPermission" and refused.json()["missing"] == [node]
        allowed = await vault.client.request(method, url, json=body, headers=await vault.headers(*base, node))
        assert allowed.status_code == 200, (method, url, allowed.text)
    assert (await vault.client.get(f"{CREDENTIALS}/{parent['id']}", headers=without)).status_code == 200
    assert [row["action"] for row in await vault.audit_of(sub)] == ["create", "reveal", "reveal", "update", "update"]


async def test_a_fetched_credentials_fields_can_be_sent_back(vault: Vault) -> None:
    parent = await _vpn(vault, tunnels=[tunnel("T1", "s1"), tunnel("T2", "s2")])
    url = f"{CREDENTIALS}/{parent['id']}"
    fetched = (await vault.client.get(url, headers=vault.admin)).json()["data"]
    ids = field_map(fetched)["tunnels"]["value"]
    for fields in (fetched["fields"], [{"fieldId": "tunnels", "value": ids[::-1]}], field_list({"tunnels": None})):
        response = await vault.client.patch(url, json={"fields": fields}, headers=vault.admin)
        assert response.status_code == 200, (fields, response.text)
        assert field_map(response.json()["data"])["tunnels"]["value"] == ids
        assert field_map(response.json()["data"])["hostname"]["value"] == "vpn.example.test"
    for value in ([ids[0]], [*ids, "other"], [], [ids[0], ids[0]], "x"):
        response = await vault.client.patch(
            url, json={"fields": [{"fieldId": "tunnels", "value": value}]}, headers=vault.admin
        )
        assert response.status_code == 400, (value, response.text)
        assert ["fields", 0, "value"] in [e["path"] for e in response.json()["errors"]]
    assert (await vault.client.get(url, headers=vault.admin)).json()["data"]["updatedAt"] == fetched["updatedAt"]
