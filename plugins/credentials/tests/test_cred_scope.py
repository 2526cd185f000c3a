"""``permissionScope``: a scoped type's credentials also need ``credential_scope.<scope>``; nothing when absent."""

from __future__ import annotations

import secrets
from typing import Any

from vault_helpers import KEY_A, Vault, field_list, tunnel, unique, vault_settings, vpn_fields

from optima_platform.testing.fixtures import start_live_app

CREDENTIALS = "/v1/credential/credentials"
ALL_CREDENTIAL_NODES = (
    "credential.*",
    "credential_type.*",
    "obj.credential.*",
    "obj.credentialType.*",
)


async def _scoped(vault: Vault, scope: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    ctype = await vault.create_type(vpn_fields(), permissionScope=scope)
    company = await vault.company()
    credential = await vault.create_credential(
        ctype["id"], company, {"hostname": "scoped.example.test"}, sub_credentials={"tunnels": [tunnel("T", "s")]}
    )
    return ctype, credential, company


async def test_scoped_credentials_need_the_scope_node(vault: Vault) -> None:
    scope = f"aws{secrets.token_hex(3)}.credentials"
    node = f"credential_scope.{scope}"
    ctype, credential, company = await _scoped(vault, scope)
    sub_id = {f["id"]: f for f in credential["fields"]}["tunnels"]["value"][0]
    base = f"{CREDENTIALS}/{credential['id']}"
    requests: list[tuple[str, str, Any]] = [
        ("GET", base, None),
        ("PATCH", base, {"name": "x"}),
        ("PUT", f"{base}/fields", {"fields": field_list({"hostname": "y"})}),
        ("GET", f"{base}/fields", None),
        ("GET", f"{base}/secure-values", None),
        ("GET", f"{CREDENTIALS}/{sub_id}/secure-values/psk", None),
        ("GET", f"{base}/sub-credentials", None),
        (
            "POST",
            f"{base}/sub-credentials",
            {"fieldId": "tunnels", "name": "T2", "fields": field_list({"server": "s", "psk": "k"})},
        ),
        ("DELETE", f"{base}/sub-credentials/{sub_id}", None),
        ("GET", f"/v1/credential-type/{ctype['id']}/credentials", None),
        (
            "POST",
            CREDENTIALS,
            {"name": "n", "typeId": ctype["id"], "companyId": company, "fields": field_list({"hostname": "h"})},
        ),
        ("PATCH", f"/v1/credential-type/{ctype['id']}", {"permissionScope": None}),
        ("DELETE", base, None),
        ("DELETE", f"/v1/credential-type/{ctype['id']}", None),
    ]
    outsider = await vault.headers(*ALL_CREDENTIAL_NODES)
    for method, url, body in requests:
        response = await vault.client.request(method, url, json=body, headers=outsider)
        assert response.status_code == 403, (method, url, response.text)
        assert response.json()["missing"] == [node] and response.json()["error"] == "InsufficientPermission"
    assert (await vault.rows("SELECT permission_scope FROM credentials_types WHERE id = :id", id=ctype["id"]))[0] == {
        "permission_scope": scope
    }
    insider = await vault.headers(*ALL_CREDENTIAL_NODES, node)
    every_scope = await vault.headers(*ALL_CREDENTIAL_NODES, "credential_scope.*")
    for headers in (insider, every_scope):
        for method, url, body in requests[:8]:
            response = await vault.client.request(method, url, json=body, headers=headers)
            assert response.status_code in (200, 201), (method, url, response.text)


async def test_scoped_credentials_are_left_out_of_company_lists(vault: Vault) -> None:
    scope = f"vip{secrets.token_hex(3)}"
    _, scoped, company = await _scoped(vault, scope)
    plain_type = await vault.create_type()
    plain = await vault.create_credential(plain_type["id"], company, name="Plain")
    url = f"{CREDENTIALS}/company/{company}"
    outsider = await vault.client.get(url, headers=await vault.headers(*ALL_CREDENTIAL_NODES))
    assert [c["id"] for c in outsider.json()["data"]] == [plain["id"]]
    insider = await vault.client.get(
        url, headers=await vault.headers(*ALL_CREDENTIAL_NODES, f"credential_scope.{scope}")
    )
    assert {c["id"] for c in insider.json()["data"]} == {plain["id"], scoped["id"]}


async def test_types_without_a_scope_need_no_extra_node(vault: Vault) -> None:
    _, credential = await vault.aws()
    response = await vault.client.get(
        f"{CREDENTIALS}/{credential['id']}/secure-values",
        headers=await vault.headers("credential.fetch", "credential.secure_values.read"),
    )
    assert response.status_code == 200


async def test_scoped_types_stay_visible(vault: Vault) -> None:
    ctype, _, _ = await _scoped(vault, f"hidden{secrets.token_hex(3)}")
    response = await vault.client.get(
        f"/v1/credential-type/{ctype['id']}",
        headers=await vault.headers("credential_type.fetch", "obj.credentialType.*"),
    )
    assert response.status_code == 200 and response.json()["data"]["credentialCount"] == 1


async def test_scope_nodes_can_be_granted_and_survive_restarts(vault: Vault) -> None:
    scope = f"granted{secrets.token_hex(3)}.admins"
    node = f"credential_scope.{scope}"
    await vault.create_type([], permissionScope=scope)
    catalogue = await vault.client.get("/v1/permissions/credentialScope", headers=vault.admin)
    assert catalogue.status_code == 200
    assert node in [n["node"] for n in catalogue.json()["data"]["permissions"]]
    role = await vault.client.post(
        "/v1/role",
        json={"title": "Scoped", "moniker": unique("scoped").replace(" ", "-"), "permissions": [node]},
        headers=vault.admin,
    )
    assert role.status_code == 201, role.text
    bad_scope = await vault.client.post(
        "/v1/credential-type", json={"name": unique("x"), "fields": [], "permissionScope": "a..b"}, headers=vault.admin
    )
    assert bad_scope.status_code == 400
    restarted = await start_live_app(vault_settings(vault.app.host.settings.database_url, [KEY_A]))
    try:
        assert node in restarted.host.permissions.nodes
    finally:
        await restarted.stop()
