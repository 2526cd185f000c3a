"""Fixtures for the credentials plugin's API tests: one live app per module on a fresh database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from vault_helpers import KEY_A, Vault, vault_settings

from optima_platform.testing.fixtures import DatabaseFactory, LiveApp, start_live_app


@pytest.fixture(autouse=True, scope="session")
def _no_keys_from_the_environment() -> Iterator[None]:
    """The tests configure their keys in settings; a developer's OPTIMA_CREDENTIAL_KEYS must not win."""
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("OPTIMA_CREDENTIAL_KEYS", raising=False)
        yield


@pytest.fixture(scope="module")
async def app(databases: DatabaseFactory) -> AsyncIterator[LiveApp]:
    live = await start_live_app(vault_settings(await databases.create(), [KEY_A]))
    yield live
    await live.stop()


@pytest.fixture(scope="module")
async def vault(app: LiveApp) -> Vault:
    return await Vault.open(app)
