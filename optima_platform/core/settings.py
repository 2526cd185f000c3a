"""The core plugin's settings: the ``[auth]`` section."""

from __future__ import annotations

import msgspec


class MicrosoftSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[auth.microsoft]``: the Entra ID app registration used for sign-in."""

    authority: str = "https://login.microsoftonline.com"
    tenant: str = "organizations"
    client_id: str | None = None
    client_secret: str | None = None
    redirect_uri: str | None = None
    timeout: float = 10.0
    allowed_tenants: list[str] = []


class RateLimitSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[auth.rate_limit]``: requests per client address per minute."""

    sign_in_per_minute: int = 30
    refresh_per_minute: int = 60


class AuthSettings(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """``[auth]``: tokens, sessions, bootstrap admins, Microsoft sign-in and rate limits."""

    bootstrap_admins: list[str] = []
    access_token_ttl: int = 900
    session_lifetime: int = 30 * 24 * 3600
    issuer: str = "optima"
    audience: str = "optima-api"
    sign_in_ttl: int = 600
    permission_cache_ttl: int = 60
    session_watch_seconds: float = 2.0
    microsoft: MicrosoftSettings = msgspec.field(default_factory=MicrosoftSettings)
    rate_limit: RateLimitSettings = msgspec.field(default_factory=RateLimitSettings)
