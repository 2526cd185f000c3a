"""Our OpenID Connect client for the Microsoft identity platform v2.0: authorization code + PKCE.

``MicrosoftIdentityClient.new_flow()`` makes the per-sign-in secrets and the authorize URL;
``redeem()`` swaps the returned code for tokens and validates the ID token (RS256 only, key by
``kid`` from the JWKS, issuer, audience, lifetime, nonce, tenant) before returning who signed in.
Failures raise ``IdentityError``; its messages never carry tokens, codes or secrets.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Collection
from types import TracebackType
from typing import Any, NoReturn, TypeVar
from urllib.parse import urlencode

import httpx
import jwt
import msgspec

from optima_platform.http.errors import ApiError

__all__ = [
    "DEFAULT_AUTHORITY",
    "SCOPES",
    "AuthFlow",
    "IdentityClaims",
    "IdentityError",
    "MicrosoftIdentityClient",
    "OpenIdConfiguration",
]

log = logging.getLogger(__name__)

DEFAULT_AUTHORITY = "https://login.microsoftonline.com"
SCOPES = "openid profile email offline_access"
LEEWAY_SECONDS = 60
REQUIRED_CLAIMS = ["iss", "aud", "exp", "nbf", "iat", "nonce", "tid", "oid"]
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")

_T = TypeVar("_T")


class IdentityError(ApiError):
    """A sign-in failure, answered through the error envelope.

    ``reason`` is the human message, ``status`` the HTTP status and ``error`` the PascalCase name:
    ``InvalidAuthorizationCode`` (401), ``InvalidIdToken`` (401), ``IdentityTenantNotAllowed`` (403),
    ``IdentityClientRejected`` / ``IdentityProviderRejected`` / ``IdentityProviderUnavailable`` (502),
    ``IdentityProviderTimeout`` (504).
    """

    def __init__(self, reason: str, status: int, error: str, **extra: Any) -> None:
        super().__init__(status, reason, error, **extra)
        self.reason = reason


class OpenIdConfiguration(msgspec.Struct, frozen=True, kw_only=True):
    """The parts of the OpenID discovery document the client uses."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    id_token_signing_alg_values_supported: list[str] = []


class AuthFlow(msgspec.Struct, frozen=True, kw_only=True):
    """One sign-in attempt: keep it server-side (keyed by ``state``) until the redirect comes back."""

    state: str
    nonce: str
    code_verifier: str
    authorize_url: str


class IdentityClaims(msgspec.Struct, frozen=True, kw_only=True):
    """Who signed in, from a validated ID token; ``claims`` holds every claim as received."""

    oid: str
    tid: str
    name: str
    email: str
    claims: dict[str, Any]


class _TokenResponse(msgspec.Struct, frozen=True, kw_only=True):
    token_type: str = "Bearer"
    id_token: str | None = None
    access_token: str | None = None
    refresh_token: str | None = None
    expires_in: int | None = None
    scope: str = ""


class _TokenError(msgspec.Struct, frozen=True, kw_only=True):
    error: str
    error_description: str = ""
    error_codes: list[int] = []


class _Jwks(msgspec.Struct, frozen=True):
    keys: list[dict[str, Any]]


def _invalid_id_token(reason: str) -> IdentityError:
    return IdentityError(f"Sign-in failed: {reason}.", 401, "InvalidIdToken")


def _unavailable(reason: str) -> IdentityError:
    return IdentityError(f"The identity provider is unavailable: {reason}.", 502, "IdentityProviderUnavailable")


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode("ascii")).digest()).rstrip(b"=").decode()


_JWT_FAILURES: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the ID token has expired"),
    (jwt.ImmatureSignatureError, "the ID token is not valid yet"),
    (jwt.InvalidAudienceError, "the ID token was issued for another application"),
    (jwt.InvalidIssuerError, "the ID token was issued by an unexpected issuer"),
    (jwt.InvalidSignatureError, "the ID token signature is invalid"),
    (jwt.InvalidAlgorithmError, "the ID token is not signed with RS256"),
    (jwt.InvalidIssuedAtError, "the ID token has an invalid issue time"),
)


class MicrosoftIdentityClient:
    """The platform's confidential client of one Entra ID app registration.

    ``authority`` is ``https://login.microsoftonline.com`` in production or the simulator's URL;
    ``tenant`` a tenant GUID, ``organizations`` or ``common``. With a tenant alias any tenant may sign
    in unless ``allowed_tenants`` lists the tenant ids that may. Pass ``http`` to share a connection
    pool (the client then leaves it open); otherwise ``aclose()`` closes the client's own.
    """

    def __init__(
        self,
        *,
        authority: str = DEFAULT_AUTHORITY,
        tenant: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        http: httpx.AsyncClient | None = None,
        timeout: float = 10.0,
        allowed_tenants: Collection[str] | None = None,
    ) -> None:
        self.authority = authority.rstrip("/")
        self.tenant = tenant
        self.client_id = client_id
        self._client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.timeout = timeout
        self.allowed_tenants = frozenset(t.lower() for t in allowed_tenants) if allowed_tenants else None
        self._http = http or httpx.AsyncClient()
        self._owns_http = http is None
        self._configuration: OpenIdConfiguration | None = None
        self._keys: dict[str, jwt.PyJWK] | None = None
        self._discovery_lock = asyncio.Lock()
        self._keys_lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"MicrosoftIdentityClient(authority={self.authority!r}, tenant={self.tenant!r})"

    @property
    def discovery_url(self) -> str:
        """Where the tenant's OpenID configuration is published."""
        return f"{self.authority}/{self.tenant}/v2.0/.well-known/openid-configuration"

    async def aclose(self) -> None:
        """Close the HTTP client if this client created it."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> MicrosoftIdentityClient:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    # --- HTTP ------------------------------------------------------------------------------------

    async def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return await self._http.request(method, url, timeout=self.timeout, **kwargs)
        except httpx.TimeoutException as exc:
            raise IdentityError(
                "The identity provider did not answer in time.", 504, "IdentityProviderTimeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise _unavailable("it could not be reached") from exc

    @staticmethod
    def _decode(response: httpx.Response, kind: type[_T], what: str) -> _T:
        try:
            return msgspec.json.decode(response.content, type=kind)
        except msgspec.DecodeError as exc:
            raise _unavailable(f"its {what} is not valid JSON of the expected shape") from exc

    # --- discovery and keys ----------------------------------------------------------------------

    async def discover(self) -> OpenIdConfiguration:
        """The tenant's OpenID configuration, fetched once and cached."""
        if self._configuration is None:
            async with self._discovery_lock:
                if self._configuration is None:
                    self._configuration = await self._fetch_configuration()
        return self._configuration

    async def _fetch_configuration(self) -> OpenIdConfiguration:
        response = await self._send("GET", self.discovery_url)
        if response.status_code != 200:
            raise _unavailable(f"discovery answered HTTP {response.status_code}")
        configuration = self._decode(response, OpenIdConfiguration, "discovery document")
        algorithms = configuration.id_token_signing_alg_values_supported
        if algorithms and "RS256" not in algorithms:
            raise _unavailable("it does not sign ID tokens with RS256")
        return configuration

    async def _fetch_keys(self) -> dict[str, jwt.PyJWK]:
        configuration = await self.discover()
        response = await self._send("GET", configuration.jwks_uri)
        if response.status_code != 200:
            raise _unavailable(f"its key set answered HTTP {response.status_code}")
        keys: dict[str, jwt.PyJWK] = {}
        for entry in self._decode(response, _Jwks, "key set").keys:
            kid = entry.get("kid")
            if entry.get("kty") != "RSA" or entry.get("use", "sig") != "sig" or not isinstance(kid, str):
                continue
            try:
                keys[kid] = jwt.PyJWK(entry, algorithm="RS256")
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                log.warning("ignoring an unusable key %r in the identity provider's key set", kid)
        return keys

    async def _signing_key(self, kid: str) -> jwt.PyJWK:
        """The published key ``kid``; an unknown kid refetches the key set once (key rollover)."""
        keys = self._keys
        if keys is not None and kid in keys:
            return keys[kid]
        async with self._keys_lock:
            if self._keys is keys:
                self._keys = await self._fetch_keys()
            keys = self._keys
        if kid not in keys:
            raise _invalid_id_token("the ID token is signed by an unknown key")
        return keys[kid]

    # --- the flow --------------------------------------------------------------------------------

    def new_flow(self, login_hint: str | None = None, *, prompt: str | None = None) -> AuthFlow:
        """Fresh ``state``, ``nonce`` and PKCE verifier, and the authorize URL to send the browser to.

        Uses the discovered authorization endpoint when ``discover()`` has run, else Microsoft's
        documented ``{authority}/{tenant}/oauth2/v2.0/authorize``.
        """
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        code_verifier = secrets.token_urlsafe(64)
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "response_mode": "query",
            "scope": SCOPES,
            "state": state,
            "nonce": nonce,
            "code_challenge": _challenge(code_verifier),
            "code_challenge_method": "S256",
        }
        if login_hint:
            params["login_hint"] = login_hint
        if prompt:
            params["prompt"] = prompt
        endpoint = (
            self._configuration.authorization_endpoint
            if self._configuration is not None
            else f"{self.authority}/{self.tenant}/oauth2/v2.0/authorize"
        )
        separator = "&" if "?" in endpoint else "?"
        return AuthFlow(
            state=state,
            nonce=nonce,
            code_verifier=code_verifier,
            authorize_url=f"{endpoint}{separator}{urlencode(params)}",
        )

    async def redeem(self, code: str, flow: AuthFlow) -> IdentityClaims:
        """Exchange ``code`` (from the redirect for ``flow``) and return the validated identity."""
        configuration = await self.discover()
        response = await self._send(
            "POST",
            configuration.token_endpoint,
            data={
                "client_id": self.client_id,
                "client_secret": self._client_secret,
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": flow.code_verifier,
                "scope": SCOPES,
            },
            headers={"Accept": "application/json"},
        )
        if response.status_code != 200:
            self._raise_token_error(response)
        tokens = self._decode(response, _TokenResponse, "token response")
        if not tokens.id_token:
            raise _unavailable("its token response carries no ID token")
        return await self.validate_id_token(tokens.id_token, nonce=flow.nonce)

    @staticmethod
    def _raise_token_error(response: httpx.Response) -> NoReturn:
        try:
            body = msgspec.json.decode(response.content, type=_TokenError)
        except msgspec.DecodeError:
            raise _unavailable(f"its token endpoint answered HTTP {response.status_code}") from None
        log.warning(
            "token endpoint refused the code redemption: %s %s (HTTP %s)",
            body.error,
            body.error_codes,
            response.status_code,
        )
        extra = {"providerError": body.error, "providerErrorCodes": body.error_codes}
        if body.error == "invalid_grant":
            raise IdentityError(
                "Sign-in failed: the authorization code is invalid, expired or already used.",
                401,
                "InvalidAuthorizationCode",
                **extra,
            )
        if body.error in ("invalid_client", "unauthorized_client"):
            raise IdentityError(
                "Sign-in is misconfigured: the identity provider rejected this application's credentials.",
                502,
                "IdentityClientRejected",
                **extra,
            )
        raise IdentityError(
            "Sign-in failed: the identity provider rejected the code redemption.",
            502,
            "IdentityProviderRejected",
            **extra,
        )

    async def validate_id_token(self, id_token: str, *, nonce: str) -> IdentityClaims:
        """Verify ``id_token`` (signature, issuer, audience, lifetime, nonce, tenant) and read it."""
        try:
            header = jwt.get_unverified_header(id_token)
            unverified = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError as exc:
            raise _invalid_id_token("the ID token is malformed") from exc
        if header.get("alg") != "RS256":
            raise _invalid_id_token("the ID token is not signed with RS256")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise _invalid_id_token("the ID token names no signing key")
        configuration = await self.discover()
        issuer = configuration.issuer
        if "{tenantid}" in issuer:
            tid = unverified.get("tid")
            if not isinstance(tid, str) or not _GUID.fullmatch(tid):
                raise _invalid_id_token("the ID token lacks a valid 'tid' claim")
            issuer = issuer.replace("{tenantid}", tid)
        key = await self._signing_key(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=["RS256"],
                audience=self.client_id,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise _invalid_id_token(f"the ID token lacks the '{exc.claim}' claim") from exc
        except jwt.PyJWTError as exc:
            reason = next((text for kind, text in _JWT_FAILURES if isinstance(exc, kind)), None)
            raise _invalid_id_token(reason or "the ID token is invalid") from exc
        if not isinstance(claims["nonce"], str) or not hmac.compare_digest(claims["nonce"], nonce):
            raise _invalid_id_token("the ID token's nonce does not belong to this sign-in")
        return self._identity(claims)

    def _identity(self, claims: dict[str, Any]) -> IdentityClaims:
        tid, oid = claims["tid"], claims["oid"]
        if not isinstance(tid, str) or not isinstance(oid, str) or not oid:
            raise _invalid_id_token("the ID token's 'tid' or 'oid' claim is not a string")
        if _GUID.fullmatch(self.tenant) and tid.lower() != self.tenant.lower():
            raise _invalid_id_token("the ID token was issued for another tenant")
        if self.allowed_tenants is not None and tid.lower() not in self.allowed_tenants:
            raise IdentityError(
                "Sign-in failed: accounts from this organization may not sign in.",
                403,
                "IdentityTenantNotAllowed",
            )
        email = claims.get("preferred_username") or claims.get("email")
        if not isinstance(email, str) or not email:
            raise _invalid_id_token("the ID token carries no 'preferred_username' or 'email' claim")
        name = claims.get("name")
        return IdentityClaims(
            oid=oid,
            tid=tid,
            name=name if isinstance(name, str) and name else email,
            email=email,
            claims=claims,
        )
