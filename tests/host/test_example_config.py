"""``optima.example.toml`` documents every key: it must load, and name every host and core key."""

from __future__ import annotations

from pathlib import Path

import msgspec

from optima_platform.core.settings import AuthSettings, MicrosoftSettings, RateLimitSettings
from optima_platform.host import Host
from optima_platform.settings import JobsSettings, ServerSettings, Settings, load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "optima.example.toml"


def test_example_config_loads_and_builds() -> None:
    settings = load_settings(str(EXAMPLE), env={})
    host = Host.build(settings, introspect=False)
    assert host.settings_for("core").microsoft.tenant == "organizations"


def test_example_config_has_a_section_per_plugin_with_settings() -> None:
    settings = load_settings(str(EXAMPLE), env={})
    host = Host.build(settings, introspect=True)
    for name, plugin in host.installed.items():
        if plugin.manifest.settings is None or plugin.manifest.section == "auth":
            continue
        assert f"[{plugin.manifest.section}]" in EXAMPLE.read_text(), f"{name} is not documented"


def test_example_config_mentions_every_key() -> None:
    text = EXAMPLE.read_text()
    structs: list[type[msgspec.Struct]] = [
        ServerSettings,
        JobsSettings,
        AuthSettings,
        MicrosoftSettings,
        RateLimitSettings,
    ]
    tables = {"microsoft", "rate_limit"}
    keys = [f for s in structs for f in s.__struct_fields__ if f not in tables]
    assert "[auth.microsoft]" in text and "[auth.rate_limit]" in text
    keys += [f for f in Settings.__struct_fields__ if f not in {"sections", "config_path", "plugins", "server", "jobs"}]
    missing = [key for key in keys if f"{key} =" not in text and f"{key} = " not in text]
    assert missing == []
