"""Settings: one TOML file plus environment overrides, decoded with msgspec into typed structs.

The file is ``optima.toml`` in the working directory, or ``--config FILE`` / ``OPTIMA_CONFIG``.
Environment variables override the file: ``OPTIMA_DATABASE_URL``, ``OPTIMA_REDIS_URL``,
``OPTIMA_PLUGINS`` (comma-separated), ``OPTIMA_SECRET_KEY``, ``OPTIMA_PUBLIC_URL``. Each plugin's
section is validated by the plugin's own struct; errors name the offending key.
"""

from __future__ import annotations

import os
import re
import secrets
import tomllib
from pathlib import Path
from typing import Any

import msgspec

DEFAULT_CONFIG = "optima.toml"
SECRET_FILE = ".optima-secret"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///optima.db"


class SettingsError(Exception):
    """Configuration is invalid; the message names the key and never contains a secret value."""


class ServerSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[server]``: where and how the API is served."""

    host: str = "127.0.0.1"
    port: int = 3000
    public_url: str | None = None
    max_body_bytes: int = 1_048_576
    max_json_depth: int = 32
    cors_origins: list[str] = []
    log_level: str = "info"
    forwarded_allow_ips: str = "127.0.0.1"
    access_log: bool = False


class PluginsSettings(msgspec.Struct, kw_only=True):
    """``[plugins]``: which plugins run. ``enabled`` unset means every installed plugin."""

    enabled: list[str] | None = None


class JobsSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[jobs]``: the in-process scheduler."""

    enabled: bool = True
    tick_seconds: float = 1.0


class Settings(msgspec.Struct, kw_only=True):
    """The host's settings. ``sections`` keeps every raw table for the plugins' own structs."""

    database_url: str = DEFAULT_DATABASE_URL
    redis_url: str | None = None
    secret_key: str = ""
    cache_prefix: str = "optima"
    server: ServerSettings = msgspec.field(default_factory=ServerSettings)
    plugins: PluginsSettings = msgspec.field(default_factory=PluginsSettings)
    jobs: JobsSettings = msgspec.field(default_factory=JobsSettings)
    sections: dict[str, Any] = {}
    config_path: str | None = None

    def section(self, dotted: str) -> dict[str, Any]:
        """The raw table at ``dotted`` (``plugins.connectwise``, ``auth``), or ``{}``."""
        node: Any = self.sections
        for part in dotted.split("."):
            if not isinstance(node, dict):
                return {}
            node = node.get(part, {})
        return node if isinstance(node, dict) else {}

    @property
    def public_url(self) -> str:
        return (self.server.public_url or f"http://{self.server.host}:{self.server.port}").rstrip("/")


HOST_KEYS = {"database_url", "redis_url", "secret_key", "cache_prefix", "server", "plugins", "jobs"}


def _path_of(exc: msgspec.ValidationError, prefix: str) -> str:
    """``prefix.key: message`` from a msgspec error (unknown fields name their key too)."""
    text = str(exc)
    message, _, at = text.partition(" - at `$")
    parts = [prefix] if prefix else []
    if at:
        parts.append(at.rstrip("`").lstrip("."))
    unknown = re.search(r"unknown field `([^`]+)`", message)
    if unknown:
        parts.append(unknown.group(1))
        message = "unknown setting"
    path = ".".join(p for p in parts if p)
    return f"{path}: {message}" if path else message


def find_config(explicit: str | None = None) -> Path | None:
    """The config file to read: ``explicit``, else ``$OPTIMA_CONFIG``, else ``./optima.toml`` if present."""
    chosen = explicit or os.environ.get("OPTIMA_CONFIG")
    if chosen:
        path = Path(chosen)
        if not path.is_file():
            raise SettingsError(f"config file {chosen} does not exist")
        return path
    default = Path(DEFAULT_CONFIG)
    return default if default.is_file() else None


def load_settings(config: str | None = None, *, env: dict[str, str] | None = None) -> Settings:
    """Read the TOML file and the environment into ``Settings`` (plugins' sections stay raw)."""
    env = dict(os.environ if env is None else env)
    path = find_config(config)
    raw: dict[str, Any] = {}
    if path is not None:
        try:
            raw = tomllib.loads(path.read_text())
        except tomllib.TOMLDecodeError as exc:
            raise SettingsError(f"{path}: not valid TOML ({exc})") from None
    host_raw = {key: raw[key] for key in HOST_KEYS if key in raw}
    plugins_table = dict(host_raw.get("plugins") or {})
    host_raw["plugins"] = {"enabled": plugins_table.get("enabled")} if "enabled" in plugins_table else {}
    if env.get("OPTIMA_DATABASE_URL"):
        host_raw["database_url"] = env["OPTIMA_DATABASE_URL"]
    if env.get("OPTIMA_REDIS_URL"):
        host_raw["redis_url"] = env["OPTIMA_REDIS_URL"]
    if env.get("OPTIMA_SECRET_KEY"):
        host_raw["secret_key"] = env["OPTIMA_SECRET_KEY"]
    if env.get("OPTIMA_PLUGINS") is not None and env.get("OPTIMA_PLUGINS", "").strip():
        host_raw["plugins"] = {"enabled": [p.strip() for p in env["OPTIMA_PLUGINS"].split(",") if p.strip()]}
    if env.get("OPTIMA_PUBLIC_URL"):
        host_raw.setdefault("server", {})
        host_raw["server"] = {**host_raw["server"], "public_url": env["OPTIMA_PUBLIC_URL"]}
    try:
        settings = msgspec.convert(host_raw, Settings)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting {_path_of(exc, '')}") from None
    sections = {key: value for key, value in raw.items() if key not in HOST_KEYS - {"plugins"}}
    sections["plugins"] = {k: v for k, v in plugins_table.items() if k != "enabled"}
    return msgspec.structs.replace(settings, sections=sections, config_path=str(path) if path is not None else None)


def plugin_settings(settings: Settings, section: str, struct: type[msgspec.Struct]) -> msgspec.Struct:
    """Validate a plugin's section with its struct; the error names ``section.key``."""
    try:
        return msgspec.convert(settings.section(section), struct)
    except msgspec.ValidationError as exc:
        raise SettingsError(f"invalid setting {_path_of(exc, section)}") from None


def ensure_secret_key(settings: Settings, directory: Path | None = None) -> Settings:
    """Fill ``secret_key`` from ``.optima-secret`` in the working directory, creating it (0600) if absent."""
    if settings.secret_key:
        return settings
    path = (directory or Path.cwd()) / SECRET_FILE
    if path.is_file():
        key = path.read_text().strip()
    else:
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(key + "\n")
    return msgspec.structs.replace(settings, secret_key=key)


def redact(url: str | None) -> str | None:
    """A URL with its password replaced by ``***``, for logs and messages."""
    if not url or "@" not in url or "://" not in url:
        return url
    scheme, _, rest = url.partition("://")
    creds, _, location = rest.rpartition("@")
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{location}" if ":" in creds else url
