"""Key rotation end to end: values under two keys, re-encrypted in batches, resumable, safe while serving."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from optima_credentials.crypto import Keyring, generate_key
from optima_credentials.services.common import keyring
from optima_credentials.services.rotation import rotate
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from vault_helpers import KEY_A, KEY_B, Vault, field_list, field_map, tunnel, vault_settings, vpn_fields

from optima_platform.cli import cli
from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, start_live_app

KEY_C = generate_key("ktest-c")
KEY_D = generate_key("ktest-d")
CREDENTIALS = "/v1/credential/credentials"


@asynccontextmanager
async def serving(database_url: str, keys: list[str]) -> AsyncIterator[Vault]:
    live: LiveApp = await start_live_app(vault_settings(database_url, keys))
    try:
        yield await Vault.open(live)
    finally:
        await live.stop()


async def _seed(vault: Vault, count: int) -> dict[str, dict[str, str]]:
    """``count`` VPN credentials, each with one tunnel; returns {credential id: {field: secret}}."""
    ctype = await vault.create_type(vpn_fields())
    company = await vault.company()
    expected: dict[str, dict[str, str]] = {}
    for _ in range(count):
        psk = f"psk-{secrets.token_hex(8)}"
        credential = await vault.create_credential(
            ctype["id"], company, {"hostname": "h"}, sub_credentials={"tunnels": [tunnel("T", "s", psk=psk)]}
        )
        (sub_id,) = field_map(credential)["tunnels"]["value"]
        expected[sub_id] = {"psk": psk}
    return expected


async def _reveal_all(vault: Vault, expected: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out = {}
    for credential_id in expected:
        response = await vault.client.get(f"{CREDENTIALS}/{credential_id}/secure-values", headers=vault.admin)
        assert response.status_code == 200, response.text
        out[credential_id] = response.json()["data"]
    return out


async def _kids(vault: Vault) -> dict[str, int]:
    rows = await vault.rows("SELECT key_id, value FROM credentials_values WHERE secure = :yes", yes=True)
    counts: dict[str, int] = {}
    for row in rows:
        assert row["value"].split(":")[1] == row["key_id"]
        counts[row["key_id"]] = counts.get(row["key_id"], 0) + 1
    return counts


async def test_rotation_end_to_end(databases: DatabaseFactory) -> None:
    url = await databases.create()
    async with serving(url, [KEY_A]) as vault:
        expected = await _seed(vault, 5)
        leaver = {"Authorization": f"Bearer {await vault.app.token('leaver@example.test', permissions=['*'])}"}
        (leaver_row,) = await vault.rows("SELECT id FROM users WHERE email = 'leaver@example.test'")
        revealed_id = next(iter(expected))
        await vault.client.get(f"{CREDENTIALS}/{revealed_id}/secure-values", headers=leaver)
        assert await _kids(vault) == {"ktest-a": 5}

    async with serving(url, [KEY_B, KEY_A]) as vault:
        expected |= await _seed(vault, 3)
        changed_id = next(iter(expected))
        if changed_id == revealed_id:
            changed_id = list(expected)[1]
        expected[changed_id] = {"psk": "changed-under-b"}
        put = await vault.client.put(
            f"{CREDENTIALS}/{changed_id}/fields",
            json={"fields": field_list({"psk": "changed-under-b"})},
            headers=vault.admin,
        )
        assert put.status_code == 200
        assert await _kids(vault) == {"ktest-a": 4, "ktest-b": 4}
        assert await _reveal_all(vault, expected) == expected

        batches: list[int] = []
        report = await rotate(
            vault.app.host, keyring(vault.app.host), batch_size=3, on_batch=lambda r: batches.append(r.rotated)
        )
        assert (report.rotated, report.skipped, report.failures, report.key_id) == (4, 0, [], "ktest-b")
        assert batches == [3, 4]
        assert await _kids(vault) == {"ktest-b": 8}
        assert await _reveal_all(vault, expected) == expected
        again = await rotate(vault.app.host, keyring(vault.app.host))
        assert (again.rotated, again.batches) == (0, 0)
        report_rows = (
            await vault.client.get(
                "/v1/credential/reports/revealed-unchanged", params={"userId": leaver_row["id"]}, headers=vault.admin
            )
        ).json()["data"]
        assert [r["credentialId"] for r in report_rows] == [revealed_id], "re-encryption is not a change"

    async with serving(url, [KEY_C, KEY_B]) as vault:

        def interrupt(report: Any) -> None:
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            await rotate(vault.app.host, keyring(vault.app.host), batch_size=3, on_batch=interrupt)
        assert await _kids(vault) == {"ktest-c": 3, "ktest-b": 5}
        resumed = await rotate(vault.app.host, keyring(vault.app.host), batch_size=3)
        assert resumed.rotated == 5 and not resumed.failures
        assert await _kids(vault) == {"ktest-c": 8}

    async with serving(url, [KEY_C]) as vault:
        assert await _reveal_all(vault, expected) == expected

    async with serving(url, [KEY_A]) as vault:
        response = await vault.client.get(f"{CREDENTIALS}/{revealed_id}/secure-values", headers=vault.admin)
        assert response.status_code == 409 and response.json()["fields"][0]["reason"] == "unknown_key"
        assert "ktest-c" in response.json()["message"]
        report = await rotate(vault.app.host, keyring(vault.app.host))
        assert report.rotated == 0 and len(report.failures) == 8 and report.failures[0].reason == "unknown_key"
        assert await _kids(vault) == {"ktest-c": 8}


async def test_rotation_while_serving_never_loses_an_update(databases: DatabaseFactory) -> None:
    url = await databases.create()
    async with serving(url, [KEY_A]) as vault:
        expected = await _seed(vault, 6)
    async with serving(url, [KEY_B, KEY_A]) as vault:

        async def keep_changing() -> None:
            for round_ in range(3):
                for credential_id in expected:
                    value = f"live-{round_}-{secrets.token_hex(4)}"
                    response = await vault.client.put(
                        f"{CREDENTIALS}/{credential_id}/fields",
                        json={"fields": field_list({"psk": value})},
                        headers=vault.admin,
                    )
                    assert response.status_code == 200
                    expected[credential_id] = {"psk": value}
                    await asyncio.sleep(0)

        ring = keyring(vault.app.host)
        report, _ = await asyncio.gather(rotate(vault.app.host, ring, batch_size=1), keep_changing())
        assert not report.failures
        await rotate(vault.app.host, ring)
        assert await _kids(vault) == {"ktest-b": 6}
        assert await _reveal_all(vault, expected) == expected


class _RacingKeyring:
    """A keyring that, just before rotation writes its first value, lets another writer change that value."""

    def __init__(self, ring: Keyring, database_url: str, new_plaintext: str) -> None:
        self.ring = ring
        self.database_url = database_url
        self.new_plaintext = new_plaintext
        self.raced: str | None = None

    @property
    def current_kid(self) -> str:
        return self.ring.current_kid

    def reencrypt(self, token: str, *, credential_id: str, field_id: str) -> str:
        result = self.ring.reencrypt(token, credential_id=credential_id, field_id=field_id)
        if self.raced is None:
            self.raced = credential_id
            newer = self.ring.encrypt(self.new_plaintext, credential_id=credential_id, field_id=field_id)
            thread = threading.Thread(target=asyncio.run, args=(self._write(credential_id, field_id, newer),))
            thread.start()
            thread.join()
        return result

    async def _write(self, credential_id: str, field_id: str, token: str) -> None:
        engine = create_async_engine(self.database_url)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "UPDATE credentials_values SET value = :v, key_id = :k WHERE credential_id = :c AND field_id = :f"
                ),
                {"v": token, "k": self.ring.current_kid, "c": credential_id, "f": field_id},
            )
        await engine.dispose()


async def test_rotation_skips_a_value_changed_while_it_ran(databases: DatabaseFactory) -> None:
    url = await databases.create()
    async with serving(url, [KEY_A]) as vault:
        expected = await _seed(vault, 3)
    async with serving(url, [KEY_B, KEY_A]) as vault:
        racing = _RacingKeyring(keyring(vault.app.host), url, "written-during-rotation")
        report = await rotate(vault.app.host, racing, batch_size=10)  # type: ignore[arg-type]
        assert (report.rotated, report.skipped, report.failures) == (2, 1, [])
        assert racing.raced is not None
        expected[racing.raced] = {"psk": "written-during-rotation"}
        assert await _kids(vault) == {"ktest-b": 3}
        assert await _reveal_all(vault, expected) == expected


def _config(tmp_path: Path, database_url: str, keys: list[str]) -> Path:
    path = tmp_path / "optima.toml"
    quoted = ", ".join(f'"{k}"' for k in keys)
    path.write_text(
        f'database_url = "{database_url}"\nsecret_key = "cli-test-secret"\n\n'
        f'[plugins]\nenabled = ["core", "credentials"]\n\n[plugins.credentials]\nkeys = [{quoted}]\n'
    )
    return path


@pytest.fixture(scope="module")
async def cli_database(databases: DatabaseFactory) -> tuple[str, dict[str, dict[str, str]]]:
    url = await databases.create()
    async with serving(url, [KEY_C]) as vault:
        expected = await _seed(vault, 4)
    return url, expected


def test_rotate_key_command(cli_database: tuple[str, dict[str, dict[str, str]]], tmp_path: Path) -> None:
    url, expected = cli_database
    config = _config(tmp_path, url, [KEY_D, KEY_C])
    runner = CliRunner(env={"OPTIMA_CONFIG": str(config), "OPTIMA_CREDENTIAL_KEYS": ""})
    result = runner.invoke(cli, ["--config", str(config), "credentials", "rotate-key", "--batch-size", "3"])
    assert result.exit_code == 0, result.output
    assert "Re-encrypting secure values under key 'ktest-d'" in result.output
    assert "4 values re-encrypted" in result.output and "ktest-d=4" in result.output
    for secret in (v["psk"] for v in expected.values()):
        assert secret not in result.output

    async def check() -> None:
        async with serving(url, [KEY_D]) as vault:
            assert await _kids(vault) == {"ktest-d": 4}
            assert await _reveal_all(vault, expected) == expected

    asyncio.run(check())
    without_old = _config(tmp_path, url, [KEY_C])
    failed = runner.invoke(cli, ["--config", str(without_old), "credentials", "rotate-key"])
    assert failed.exit_code == 1 and "4 values could not be decrypted" in failed.output
    assert "unknown_key (key 'ktest-d')" in failed.output


def test_rotate_key_without_keys_refuses(cli_database: tuple[str, Any], tmp_path: Path) -> None:
    url, _ = cli_database
    config = _config(tmp_path, url, [])
    result = CliRunner(env={"OPTIMA_CONFIG": str(config)}).invoke(
        cli, ["--config", str(config), "credentials", "rotate-key"]
    )
    assert result.exit_code == 2
    assert "plugin credentials: no encryption key is configured" in result.output
    assert "optima credentials generate-key" in result.output


def test_generate_key_command() -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["credentials", "generate-key"])
    second = runner.invoke(cli, ["credentials", "generate-key", "--kid", "k2027"])
    assert first.exit_code == 0 and second.exit_code == 0
    ring = Keyring.from_strings([second.output.strip(), first.output.strip()])
    assert ring.current_kid == "k2027" and first.output.strip() != second.output.strip()
    token = ring.encrypt("x", credential_id="c", field_id="f")
    assert ring.decrypt(token, credential_id="c", field_id="f") == "x"
    bad = runner.invoke(cli, ["credentials", "generate-key", "--kid", "no spaces"])
    assert bad.exit_code == 2 and "Key id must be" in bad.output
