"""The plugin's settings: the ``[plugins.connectwise]`` section of ``optima.toml``.

The site and the API member's credentials are required (a missing one stops start-up with one line);
every other key has a default. ``CW_CALLBACK_SECRET``, when set and not empty, replaces
``callback_secret``. Values are checked when the section is read, so a malformed site, codebase,
secret or number is a start-up error naming the key, never a failure on the first request.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlsplit

import msgspec
from optima_connectwise.client import ClientConfig
from optima_connectwise.client.client import normalize_codebase, normalize_site

ENV_CALLBACK_SECRET = "CW_CALLBACK_SECRET"
REQUIRED = ("site", "company_id", "public_key", "private_key", "client_id")
MIN_SECRET_LENGTH = 16
_SECRET = re.compile(r"[A-Za-z0-9._~-]+")


class ConnectWiseSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[plugins.connectwise]``: where ConnectWise is, how we authenticate, how hard we may call it."""

    site: str | None = None
    company_id: str = ""
    public_key: str = ""
    private_key: str = ""
    client_id: str = ""
    codebase: str | None = None
    api_version: str = "2025.1"
    timeout: float = 15.0
    max_retries: int = 4
    max_concurrency: int = 8
    rate_limit_per_minute: int = 600
    allow_insecure_http: bool = False
    callback_secret: str | None = None
    callback_base_url: str | None = None
    enrichment_ttl: int = 300

    def __post_init__(self) -> None:
        from_env = os.environ.get(ENV_CALLBACK_SECRET, "").strip()
        if from_env:
            self.callback_secret = from_env
        if self.site:
            normalize_site(self.site, allow_insecure_http=self.allow_insecure_http)
        if self.codebase:
            normalize_codebase(self.codebase)
        if self.timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        if self.rate_limit_per_minute < 0:
            raise ValueError("rate_limit_per_minute must be 0 (no limit) or more")
        if self.enrichment_ttl < 1:
            raise ValueError("enrichment_ttl must be at least 1 second")
        if self.callback_secret is not None:
            _check_secret(self.callback_secret)
        if self.callback_base_url:
            parts = urlsplit(self.callback_base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
                raise ValueError("callback_base_url must be an http(s) URL such as https://optima.example.com")

    def __repr__(self) -> str:
        return (
            f"ConnectWiseSettings(site={self.site!r}, company_id={self.company_id!r}, public_key=***, "
            f"private_key=***, client_id={self.client_id!r}, callback_secret="
            f"{'***' if self.callback_secret else None})"
        )

    def client_config(self) -> ClientConfig:
        """The client's configuration (the credentials, addressing, timeouts and retries)."""
        return ClientConfig.from_settings(self)

    def callback_url(self, public_url: str, resource: str) -> str:
        """The URL ConnectWise posts ``resource`` callbacks to: ``{base}/v1/cw/callback/{secret}/{resource}``."""
        if not self.callback_secret:
            raise ValueError("no callback secret is configured")
        base = (self.callback_base_url or public_url).rstrip("/")
        return f"{base}/v1/cw/callback/{self.callback_secret}/{resource}"


def _check_secret(secret: str) -> None:
    """A secret that is long enough and can sit in a URL path unescaped (the message never shows it)."""
    where = f"callback_secret (or {ENV_CALLBACK_SECRET})"
    if len(secret) < MIN_SECRET_LENGTH:
        raise ValueError(f"{where} must be at least {MIN_SECRET_LENGTH} characters")
    if not _SECRET.fullmatch(secret):
        raise ValueError(f"{where} may hold only letters, digits and . _ ~ -")
