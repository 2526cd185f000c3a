"""The plugin's settings (``[plugins.credentials]``) and where the vault's keys come from.

Keys are read from ``[plugins.credentials] keys`` in ``optima.toml`` or, when it is set and not
empty, from ``OPTIMA_CREDENTIAL_KEYS`` (comma-separated), which then replaces the file's list. They
are never read from or written to the database. The first key encrypts, every key decrypts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import msgspec

from optima_platform.hooks.registry import PluginError

from .crypto import KeyConfigError, Keyring

ENV_KEYS = "OPTIMA_CREDENTIAL_KEYS"
FIX = (
    "run 'optima credentials generate-key' and put its output first in [plugins.credentials] keys "
    "or in OPTIMA_CREDENTIAL_KEYS"
)


class CredentialsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[plugins.credentials]``: the vault's encryption keys (``<kid>:<base64 key>``, newest first)."""

    keys: list[str] = []

    def __repr__(self) -> str:
        return f"CredentialsSettings(keys=<{len(self.keys)} configured>)"


def configured_keys(settings: CredentialsSettings | None, env: Mapping[str, str] | None = None) -> list[str]:
    """The key strings in force: the environment's when set, else the settings'."""
    env = os.environ if env is None else env
    from_env = [part.strip() for part in env.get(ENV_KEYS, "").split(",") if part.strip()]
    if from_env:
        return from_env
    return list(settings.keys) if settings is not None else []


def load_keyring(settings: CredentialsSettings | None, env: Mapping[str, str] | None = None) -> Keyring:
    """The keyring from the configured keys; PluginError (one line, no key material) when unusable."""
    keys = configured_keys(settings, env)
    if not keys:
        raise PluginError(f"plugin credentials: no encryption key is configured; {FIX}")
    try:
        return Keyring.from_strings(keys)
    except KeyConfigError as exc:
        raise PluginError(f"plugin credentials: invalid encryption key configuration ({exc}); {FIX}") from None
