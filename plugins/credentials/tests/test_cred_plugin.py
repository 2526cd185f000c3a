"""The plugin as the host sees it: keys at start-up, settings, migrations, nodes, the auth matrix, the demo."""

from __future__ import annotations

from pathlib import Path

import pytest
from optima_credentials import demo as demo_setup
from optima_credentials.services.common import keyring
from optima_credentials.settings import CredentialsSettings, load_keyring
from sqlalchemy import select
from vault_helpers import KEY_A, KEY_B, Vault, vault_settings

from optima_platform.db import migrations
from optima_platform.demo import DemoRun
from optima_platform.hooks.registry import PluginError
from optima_platform.host import Host
from optima_platform.settings import SettingsError
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, make_settings
from optima_platform.testing.matrix import check_auth_matrix, check_no_server_errors


async def test_the_vault_refuses_to_start_without_a_key(databases: DatabaseFactory) -> None:
    host = Host.build(vault_settings(await databases.create(), []))
    try:
        with pytest.raises(PluginError) as raised:
            await host.start()
    finally:
        await host.db.dispose()
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith("plugin credentials: no encryption key is configured")
    assert "optima credentials generate-key" in message and "[plugins.credentials] keys" in message


@pytest.mark.parametrize(
    "keys",
    [["ktest:c2hvcnQ"], ["no-colon-here"], [KEY_A, KEY_A], ["k1:" + "A" * 43]],
)
def test_unusable_keys_are_refused_without_showing_them(keys: list[str]) -> None:
    with pytest.raises(PluginError) as raised:
        load_keyring(CredentialsSettings(keys=keys), env={})
    message = str(raised.value)
    assert message.startswith("plugin credentials: invalid encryption key configuration")
    for key in keys:
        material = key.partition(":")[2]
        assert not material or material not in message


def test_keys_from_the_environment_replace_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = CredentialsSettings(keys=[KEY_A])
    assert load_keyring(settings, env={}).kids == ("ktest-a",)
    ring = load_keyring(settings, env={"OPTIMA_CREDENTIAL_KEYS": f" {KEY_B} , {KEY_A} "})
    assert ring.kids == ("ktest-b", "ktest-a") and ring.current_kid == "ktest-b"
    assert load_keyring(settings, env={"OPTIMA_CREDENTIAL_KEYS": " , "}).kids == ("ktest-a",)
    monkeypatch.setenv("OPTIMA_CREDENTIAL_KEYS", KEY_B)
    assert load_keyring(None).kids == ("ktest-b",)


def test_settings_never_show_keys() -> None:
    settings = CredentialsSettings(keys=[KEY_A, KEY_B])
    for text in (repr(settings), str(settings)):
        assert KEY_A.partition(":")[2] not in text and "2 configured" in text
    assert KEY_A.partition(":")[2] not in repr(load_keyring(settings, env={}))


async def test_unknown_settings_are_refused(databases: DatabaseFactory) -> None:
    settings = make_settings(
        await databases.create(), plugins=["core", "credentials"], plugin_sections={"credentials": {"key": KEY_A}}
    )
    with pytest.raises(SettingsError, match=r"plugins\.credentials"):
        Host.build(settings)


async def test_models_and_migrations_agree_and_downgrade(app: LiveApp) -> None:
    (lineage,) = [lin for lin in app.host.lineages if lin.plugin == "credentials"]
    assert lineage.version_table == "alembic_version_credentials"
    assert migrations.head_of(lineage) == "credentials_0001"
    assert await migrations.differences(app.host.db, lineage) == []
    state = await migrations.current(app.host.db, app.host.lineages)
    assert state["credentials"] == {"current": "credentials_0001", "head": "credentials_0001"}


async def test_downgrade_and_upgrade_again(databases: DatabaseFactory) -> None:
    host = Host.build(vault_settings(await databases.create(), [KEY_A]))
    try:
        await migrations.upgrade(host.db, host.lineages)
        (lineage,) = [lin for lin in host.lineages if lin.plugin == "credentials"]
        await migrations.downgrade(host.db, lineage, "base")
        assert (await migrations.current(host.db, [lineage]))["credentials"]["current"] is None
        await migrations.upgrade(host.db, [lineage])
        assert await migrations.differences(host.db, lineage) == []
    finally:
        await host.db.dispose()


async def test_permission_catalogue(vault: Vault) -> None:
    response = await vault.client.get("/v1/permissions/credential", headers=await vault.headers("role.read"))
    assert response.status_code == 200
    nodes = {n["node"]: n for n in response.json()["data"]["permissions"]}
    assert set(nodes) == {
        "credential.fetch",
        "credential.fetch.many",
        "credential.create",
        "credential.update",
        "credential.delete",
        "credential.fields.fetch",
        "credential.fields.update",
        "credential.secure_values.read",
        "credential.sub_credentials.fetch",
        "credential.sub_credentials.create",
        "credential.sub_credentials.delete",
        "credential.audit.read",
    }
    assert "GET /v1/credential/credentials/{id}/audit" in nodes["credential.audit.read"]["usedIn"]
    types = await vault.client.get("/v1/permissions/credentialType", headers=vault.admin)
    assert {n["node"] for n in types.json()["data"]["permissions"]} == {
        "credential_type.fetch",
        "credential_type.fetch.many",
        "credential_type.create",
        "credential_type.update",
        "credential_type.delete",
    }
    gates = {n["node"] for n in (await vault.client.get("/v1/permissions/nodes", headers=vault.admin)).json()["data"]}
    assert {
        "obj.credential.*",
        "obj.credential.fields",
        "obj.credentialType.*",
        "obj.credentialType.credentialCount",
    } <= gates


async def test_every_route_answers_401_and_403_for_each_node(app: LiveApp) -> None:
    assert await check_auth_matrix(app, "credentials") > 40


async def test_no_junk_input_causes_a_server_error(vault: Vault) -> None:
    await vault.aws()
    assert await check_no_server_errors(vault.app, "credentials") > 100


async def test_demo_prepares_a_key_and_seeds_idempotently(
    app: LiveApp, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from optima_credentials.models import Credential, CredentialType

    from optima_platform.core.models import Company

    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("OPTIMA_CONFIG", raising=False)
    run = DemoRun()
    demo = run.for_plugin("credentials", "plugins.credentials")
    demo_setup.prepare(demo)
    (demo_key,) = run.overrides["plugins.credentials"]["keys"]
    assert load_keyring(CredentialsSettings(keys=[demo_key]), env={}).current_kid
    assert demo_key not in "\n".join(run.lines)
    key_file = tmp_path / demo_setup.DEMO_KEY_FILE
    assert key_file.read_text().strip() == demo_key and key_file.stat().st_mode & 0o077 == 0
    again = DemoRun()
    demo_setup.prepare(again.for_plugin("credentials", "plugins.credentials"))
    assert again.overrides["plugins.credentials"]["keys"] == [demo_key]  # a restarted demo can still decrypt

    monkeypatch.setenv("OPTIMA_CREDENTIAL_KEYS", KEY_B)
    configured = DemoRun()
    demo_setup.prepare(configured.for_plugin("credentials", "plugins.credentials"))
    assert configured.overrides == {} and "configured encryption keys" in configured.lines[0]
    monkeypatch.delenv("OPTIMA_CREDENTIAL_KEYS")

    async with app.host.db.session() as session, session.begin():
        session.add(Company(name="Demo Dental", cw_data={}))

    async def counts() -> tuple[set[str], int]:
        async with app.host.db.session() as session:
            names = set((await session.execute(select(CredentialType.name))).scalars())
            rows = (await session.execute(select(Credential).where(Credential.parent_id.is_(None)))).scalars().all()
            return names, len(rows)

    before = (await counts())[1]
    await demo_setup.seed(app.host, demo)
    names, after_first = await counts()
    assert {"Windows Server Admin", "BitLocker Recovery", "Site VPN"} <= names
    assert after_first >= before + 3
    await demo_setup.seed(app.host, demo)
    assert (await counts())[1] == after_first
    assert keyring(app.host).current_kid == "ktest-a"
