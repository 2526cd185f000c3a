"""The plugin's settings: the ``[plugins.hello]`` section of ``optima.toml``."""

from __future__ import annotations

import msgspec


class HelloSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[plugins.hello]``: how greetings are worded."""

    greeting: str = "Hello"
    punctuation: str = "!"
