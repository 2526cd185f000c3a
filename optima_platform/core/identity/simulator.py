"""A Microsoft identity platform (Entra ID) v2.0 simulator: authorization code + PKCE + nonce.

Written from the wire protocol notes (``microsoft-identity.md``) alone, not from our client, so a
misreading of the protocol cannot hide in both. It serves discovery, the authorize endpoint (auto
approval by ``login_hint``, otherwise a pick-an-account page), the token endpoint with
Microsoft-shaped ``AADSTS`` errors, and the JWKS. Tests steer it through ``rotate_keys()`` and
``tamper_next_id_token()``; the demo runs it as is.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import jwt
import msgspec
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from litestar import Litestar, Request, Response, get, post
from litestar.enums import MediaType
from litestar.params import FromPath
from litestar.response import Redirect

from optima_platform.core.identity.directory import DEMO_DIRECTORY, DEMO_TENANT_ID, DirectoryUser

__all__ = [
    "DEMO_DIRECTORY",
    "DEMO_TENANT_ID",
    "DirectoryUser",
    "IdTokenTampering",
    "IdentitySimulator",
    "create_identity_simulator",
]

TENANT_ALIASES = frozenset({"organizations", "common"})
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
PROMPTS = frozenset({"login", "none", "consent", "select_account"})
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_ID_TOKEN_CLAIMS = "sub iss aud exp iat nbf nonce name preferred_username email oid tid ver".split()
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class IdTokenTampering(msgspec.Struct, frozen=True, kw_only=True):
    """Defects for the next ID token the simulator issues, for negative tests of a client.

    Each field left at its default leaves that part of the token correct. ``signing`` picks the key:
    ``published`` (the current JWKS key), ``unknown_key`` (a throwaway key under a kid the JWKS never
    lists), ``forged`` (a throwaway key under the current kid, so the signature fails) or ``unsigned``
    (``alg: none``).
    """

    nonce: str | None = None
    audience: str | None = None
    issuer: str | None = None
    tenant_id: str | None = None
    expired: bool = False
    not_yet_valid: bool = False
    drop_claims: tuple[str, ...] = ()
    signing: Literal["published", "unknown_key", "forged", "unsigned"] = "published"


class _SigningKey(msgspec.Struct, frozen=True):
    kid: str
    private_key: rsa.RSAPrivateKey
    jwk: dict[str, Any]


class _AuthorizeRequest(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    nonce: str
    code_challenge: str
    code_challenge_method: str
    response_mode: str
    login_hint: str | None
    prompt: str | None

    def query(self) -> dict[str, str]:
        """The request as authorize query parameters, to carry through the account picker."""
        params = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "response_mode": self.response_mode,
            "scope": self.scope,
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": self.code_challenge,
            "code_challenge_method": self.code_challenge_method,
        }
        if self.login_hint:
            params["login_hint"] = self.login_hint
        if self.prompt:
            params["prompt"] = self.prompt
        return params


class _PendingCode(msgspec.Struct, frozen=True, kw_only=True):
    client_id: str
    redirect_uri: str
    scope: str
    nonce: str
    code_challenge: str
    user: DirectoryUser
    expires_at: float


class _TokenResponse(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    token_type: str
    scope: str
    expires_in: int
    ext_expires_in: int
    access_token: str
    id_token: str
    refresh_token: str | None = None


class _AadError(Exception):
    """An ``AADSTS`` error, answered as an error page, an error redirect or a JSON body."""

    def __init__(self, error: str, code: int, text: str, status: int = 400) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.error = error
        self.code = code
        self.text = text
        self.status = status
        self.trace_id = str(uuid.uuid4())
        self.correlation_id = str(uuid.uuid4())
        self.timestamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")

    @property
    def description(self) -> str:
        return (
            f"AADSTS{self.code}: {self.text} Trace ID: {self.trace_id} "
            f"Correlation ID: {self.correlation_id} Timestamp: {self.timestamp}"
        )

    def body(self) -> dict[str, Any]:
        return {
            "error": self.error,
            "error_description": self.description,
            "error_codes": [self.code],
            "timestamp": self.timestamp,
            "trace_id": self.trace_id,
            "correlation_id": self.correlation_id,
        }


class _ErrorPage(_AadError):
    """An authorize error Microsoft shows in the browser because it cannot trust the redirect URI."""


class _RedirectError(_AadError):
    """An authorize error sent back to the (validated) redirect URI."""

    def __init__(self, error: str, code: int, text: str, *, redirect_uri: str, state: str | None) -> None:
        super().__init__(error, code, text)
        self.redirect_uri = redirect_uri
        self.state = state


def _missing(name: str) -> str:
    return f"The request body must contain the following parameter: '{name}'."


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_uint(value: int) -> str:
    return _b64url(value.to_bytes((value.bit_length() + 7) // 8, "big"))


def _with_query(url: str, params: Mapping[str, str]) -> str:
    """``url`` with ``params`` appended to whatever query it already has."""
    parts = urlsplit(url)
    query = [*parse_qsl(parts.query, keep_blank_values=True), *params.items()]
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _new_signing_key() -> _SigningKey:
    """A fresh RSA 2048 key with a self-signed certificate, published the way Entra ID does (kid = x5t)."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = dt.datetime.now(dt.UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "accounts.identity-simulator.example")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(private_key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    thumbprint = _b64url(hashlib.sha1(der).digest())
    numbers = private_key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "use": "sig",
        "kid": thumbprint,
        "x5t": thumbprint,
        "n": _b64url_uint(numbers.n),
        "e": _b64url_uint(numbers.e),
        "x5c": [base64.b64encode(der).decode("ascii")],
    }
    return _SigningKey(kid=thumbprint, private_key=private_key, jwk=jwk)


def _html_page(title: str, body: str) -> str:
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:Segoe UI,system-ui,sans-serif;background:#f2f2f2;margin:0}"
        "main{max-width:440px;margin:8vh auto;background:#fff;padding:44px;box-shadow:0 2px 6px #0003}"
        "h1{font-size:24px;font-weight:600;margin:0 0 16px}ul{list-style:none;padding:0}"
        "li a{display:block;padding:12px;margin:4px 0;border:1px solid #ddd;color:#1b1b1b;"
        "text-decoration:none}li a:hover{background:#f5f5f5}small{color:#666;display:block}"
        ".note{color:#a4262c}.cancel{color:#0067b8}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )


class IdentitySimulator:
    """An Entra ID v2.0 tenant with one registered confidential client, served by ``app``.

    Test controls: ``rotate_keys()`` publishes and signs with a new key, ``tamper_next_id_token()``
    makes the next ID token defective, and ``requests`` counts calls per endpoint (``discovery``,
    ``authorize``, ``token``, ``jwks``).
    """

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        tenant_id: str = DEMO_TENANT_ID,
        directory: Sequence[DirectoryUser] = DEMO_DIRECTORY,
        code_ttl: float = 120.0,
        token_ttl: int = 3599,
        redirect_uris: Sequence[str] | None = None,
    ) -> None:
        self.client_id = client_id
        self.client_secret = client_secret
        self.tenant_id = tenant_id.lower()
        self.directory: tuple[DirectoryUser, ...] = tuple(directory)
        self.code_ttl = code_ttl
        self.token_ttl = token_ttl
        self.redirect_uris: frozenset[str] | None = None if redirect_uris is None else frozenset(redirect_uris)
        self.requests: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._keys: list[_SigningKey] = [_new_signing_key()]
        self._codes: dict[str, _PendingCode] = {}
        self._redeemed: set[str] = set()
        self._tampering: IdTokenTampering | None = None
        self.app: Litestar = self._build_app()

    # --- test controls -------------------------------------------------------------------------

    @property
    def signing_kid(self) -> str:
        """The ``kid`` of the key new tokens are signed with."""
        with self._lock:
            return self._keys[-1].kid

    @property
    def published_kids(self) -> list[str]:
        """The ``kid`` of every key the JWKS lists, oldest first."""
        with self._lock:
            return [key.kid for key in self._keys]

    def rotate_keys(self, *, retire_previous: bool = False) -> str:
        """Publish a new signing key and sign with it from now on; returns its ``kid``.

        The previous keys stay in the JWKS (as Entra ID does during a rollover) unless
        ``retire_previous``.
        """
        key = _new_signing_key()
        with self._lock:
            self._keys = [key] if retire_previous else [*self._keys, key]
        return key.kid

    def tamper_next_id_token(self, tampering: IdTokenTampering) -> None:
        """Make the next ID token the token endpoint issues defective as ``tampering`` describes."""
        with self._lock:
            self._tampering = tampering

    def user_by_email(self, email: str) -> DirectoryUser | None:
        """The directory user whose email (UPN) is ``email``, compared case-insensitively."""
        wanted = email.strip().casefold()
        return next((user for user in self.directory if user.email.casefold() == wanted), None)

    def user_by_oid(self, oid: str) -> DirectoryUser | None:
        """The directory user with object id ``oid``."""
        wanted = oid.strip().lower()
        return next((user for user in self.directory if user.oid.lower() == wanted), None)

    # --- protocol --------------------------------------------------------------------------------

    def _check_tenant(self, tenant: str) -> str:
        tenant = tenant.lower()
        if tenant != self.tenant_id and tenant not in TENANT_ALIASES:
            raise _AadError(
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID and are "
                "signing into the correct cloud.",
            )
        return tenant

    def _issuer(self, base: str) -> str:
        return f"{base}/{self.tenant_id}/v2.0"

    def discovery(self, base: str, tenant: str) -> dict[str, Any]:
        """The OpenID configuration for ``tenant`` as seen at ``base`` (scheme://host:port)."""
        tenant = self._check_tenant(tenant)
        issuer = f"{base}/{{tenantid}}/v2.0" if tenant in TENANT_ALIASES else self._issuer(base)
        oauth = f"{base}/{tenant}/oauth2/v2.0"
        return {
            "token_endpoint": f"{oauth}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "jwks_uri": f"{base}/{tenant}/discovery/v2.0/keys",
            "response_modes_supported": ["query"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": issuer,
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{oauth}/authorize",
            "code_challenge_methods_supported": ["S256"],
            "grant_types_supported": ["authorization_code"],
            "http_logout_supported": False,
            "frontchannel_logout_supported": False,
            "claims_supported": _ID_TOKEN_CLAIMS,
            "tenant_region_scope": "EU",
            "cloud_instance_name": "identity-simulator.example",
        }

    def jwks(self, base: str, tenant: str) -> dict[str, Any]:
        """The published signing keys."""
        self._check_tenant(tenant)
        with self._lock:
            keys = list(self._keys)
        return {"keys": [{**key.jwk, "issuer": self._issuer(base)} for key in keys]}

    def _redirect_uri_allowed(self, uri: str) -> bool:
        if self.redirect_uris is not None:
            return uri in self.redirect_uris
        parts = urlsplit(uri)
        if parts.fragment or not parts.netloc:
            return False
        # Entra ID allows plain http only for loopback redirect URIs.
        return parts.scheme == "https" or (parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS)

    def parse_authorize(self, tenant: str, params: Mapping[str, str]) -> _AuthorizeRequest:
        """Validate authorize parameters; raises ``_ErrorPage`` or ``_RedirectError``."""
        try:
            self._check_tenant(tenant)
        except _AadError as exc:
            raise _ErrorPage(exc.error, exc.code, exc.text) from None
        client_id = params.get("client_id", "")
        if not client_id:
            raise _ErrorPage("invalid_request", 900144, _missing("client_id"))
        if client_id != self.client_id:
            raise _ErrorPage(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self.tenant_id}'. This can happen if the application has not been installed by the "
                "administrator of the tenant or consented to by any user in the tenant.",
            )
        redirect_uri = params.get("redirect_uri", "")
        if not redirect_uri:
            raise _ErrorPage("invalid_request", 900144, _missing("redirect_uri"))
        if not self._redirect_uri_allowed(redirect_uri):
            raise _ErrorPage(
                "invalid_request",
                50011,
                f"The redirect URI '{redirect_uri}' specified in the request does not match the redirect "
                f"URIs configured for the application '{client_id}'.",
            )
        state = params.get("state") or None

        def fail(error: str, code: int, text: str) -> _RedirectError:
            return _RedirectError(error, code, text, redirect_uri=redirect_uri, state=state)

        response_type = params.get("response_type", "")
        if not response_type:
            raise fail("invalid_request", 900144, _missing("response_type"))
        if response_type != "code":
            raise fail(
                "unsupported_response_type",
                70005,
                f"response_type '{response_type}' is not enabled for the application.",
            )
        response_mode = params.get("response_mode") or "query"
        if response_mode != "query":
            raise fail("invalid_request", 90013, f"Unsupported response_mode '{response_mode}'; use 'query'.")
        scope = params.get("scope", "")
        if not scope:
            raise fail("invalid_request", 900144, _missing("scope"))
        if "openid" not in scope.split():
            raise fail(
                "invalid_scope",
                70011,
                f"The provided value for the input parameter 'scope' is not valid. The scope '{scope}' "
                "must include 'openid' to receive an ID token.",
            )
        if state is None:
            raise fail("invalid_request", 900144, _missing("state"))
        nonce = params.get("nonce", "")
        if not nonce:
            raise fail("invalid_request", 900144, _missing("nonce"))
        challenge = params.get("code_challenge", "")
        if not challenge:
            raise fail(
                "invalid_request",
                9002325,
                "Proof Key for Code Exchange is required for cross-origin authorization code redemption.",
            )
        method = params.get("code_challenge_method", "")
        if method != "S256":
            raise fail("invalid_request", 90023, f"Unsupported code_challenge_method '{method}'; use 'S256'.")
        if len(challenge) != 43 or not all(c.isalnum() or c in "-_" for c in challenge):
            raise fail("invalid_request", 501491, "Invalid size of Code_Challenge parameter.")
        prompt = params.get("prompt") or None
        if prompt is not None and prompt not in PROMPTS:
            raise fail("invalid_request", 90023, f"Invalid prompt value '{prompt}'.")
        return _AuthorizeRequest(
            client_id=client_id,
            redirect_uri=redirect_uri,
            scope=scope,
            state=state,
            nonce=nonce,
            code_challenge=challenge,
            code_challenge_method=method,
            response_mode=response_mode,
            login_hint=params.get("login_hint") or None,
            prompt=prompt,
        )

    def approve(self, request: _AuthorizeRequest, user: DirectoryUser) -> str:
        """Issue a code for ``user``; returns the redirect URL carrying it."""
        code = f"1.A{secrets.token_urlsafe(96)}"
        pending = _PendingCode(
            client_id=request.client_id,
            redirect_uri=request.redirect_uri,
            scope=request.scope,
            nonce=request.nonce,
            code_challenge=request.code_challenge,
            user=user,
            expires_at=time.monotonic() + self.code_ttl,
        )
        with self._lock:
            now = time.monotonic()
            for stale in [key for key, value in self._codes.items() if value.expires_at < now]:
                del self._codes[stale]
            self._codes[code] = pending
        return _with_query(request.redirect_uri, {"code": code, "state": request.state})

    def _take_code(self, code: str) -> _PendingCode:
        """Remove ``code`` from the outstanding codes: a code is spent by its first redemption attempt."""
        digest = hashlib.sha256(code.encode()).hexdigest()
        with self._lock:
            pending = self._codes.pop(code, None)
            if pending is None:
                if digest in self._redeemed:
                    raise _AadError(
                        "invalid_grant",
                        54005,
                        "OAuth2 Authorization code was already redeemed, please retry with a new valid code "
                        "or use an existing refresh token.",
                    )
                raise _AadError("invalid_grant", 9002313, "Invalid request. Request is malformed or invalid.")
            self._redeemed.add(digest)
        if pending.expires_at < time.monotonic():
            raise _AadError(
                "invalid_grant",
                70008,
                "The provided authorization code or refresh token has expired due to inactivity. Send a "
                "new interactive authorization request for this user and resource.",
            )
        return pending

    def redeem(self, base: str, tenant: str, form: Mapping[str, str]) -> _TokenResponse:
        """The token endpoint's ``authorization_code`` grant; raises ``_AadError``."""
        self._check_tenant(tenant)
        grant_type = form.get("grant_type", "")
        if not grant_type:
            raise _AadError("invalid_request", 900144, _missing("grant_type"))
        if grant_type != "authorization_code":
            text = f"The app requested an unsupported grant type '{grant_type}'."
            raise _AadError("unsupported_grant_type", 70003, text)
        client_id = form.get("client_id", "")
        if not client_id:
            raise _AadError("invalid_request", 900144, _missing("client_id"))
        if client_id != self.client_id:
            raise _AadError(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.tenant_id}'.",
            )
        secret = form.get("client_secret", "")
        if not secret:
            raise _AadError(
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
                status=401,
            )
        if not hmac.compare_digest(secret.encode(), self.client_secret.encode()):
            raise _AadError(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client "
                f"secret value, not the client secret ID, for a secret added to app '{self.client_id}'.",
                status=401,
            )
        for name in ("code", "redirect_uri", "code_verifier"):
            if not form.get(name):
                raise _AadError("invalid_request", 900144, _missing(name))
        pending = self._take_code(form["code"])
        if pending.client_id != client_id:
            raise _AadError(
                "invalid_grant",
                70000,
                "The provided value for the 'code' parameter is not valid. The code was issued to a different client.",
            )
        if pending.redirect_uri != form["redirect_uri"]:
            raise _AadError(
                "invalid_grant",
                500112,
                "The reply address does not match the reply address provided when requesting Authorization code.",
            )
        challenge = _b64url(hashlib.sha256(form["code_verifier"].encode("ascii", "replace")).digest())
        if not hmac.compare_digest(challenge, pending.code_challenge):
            raise _AadError(
                "invalid_grant",
                501481,
                "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
            )
        return self._tokens(base, pending)

    def _tokens(self, base: str, pending: _PendingCode) -> _TokenResponse:
        with self._lock:
            key = self._keys[-1]
            tampering, self._tampering = self._tampering or IdTokenTampering(), None
        user = pending.user
        now = int(time.time())
        requested = pending.scope.split()
        granted = " ".join([s for s in ("openid", "profile", "email") if s in requested] + ["User.Read"])
        access_token = jwt.encode(
            {
                "aud": GRAPH_APP_ID,
                "iss": f"{base}/{self.tenant_id}/",
                "iat": now,
                "nbf": now,
                "exp": now + self.token_ttl,
                "appid": self.client_id,
                "oid": user.oid,
                "tid": self.tenant_id,
                "upn": user.email,
                "name": user.name,
                "scp": granted,
                "uti": secrets.token_urlsafe(16),
                "ver": "1.0",
            },
            key.private_key,
            algorithm="RS256",
            headers={"kid": key.kid, "typ": "JWT"},
        )
        return _TokenResponse(
            token_type="Bearer",
            scope=granted,
            expires_in=self.token_ttl,
            ext_expires_in=self.token_ttl,
            access_token=access_token,
            id_token=self._id_token(base, pending, key, tampering, now),
            refresh_token=f"0.A{secrets.token_urlsafe(96)}" if "offline_access" in requested else None,
        )

    def _id_token(
        self, base: str, pending: _PendingCode, key: _SigningKey, tampering: IdTokenTampering, now: int
    ) -> str:
        user = pending.user
        iat, nbf, exp = now, now, now + self.token_ttl
        if tampering.expired:
            iat = nbf = now - self.token_ttl - 600
            exp = now - 600
        if tampering.not_yet_valid:
            nbf = now + 600
        pairwise_sub = _b64url(hashlib.sha256(f"{self.client_id}:{user.oid}".encode()).digest())[:43]
        claims: dict[str, Any] = {
            "aud": tampering.audience or self.client_id,
            "iss": tampering.issuer or self._issuer(base),
            "iat": iat,
            "nbf": nbf,
            "exp": exp,
            "nonce": tampering.nonce or pending.nonce,
            "oid": user.oid,
            "sub": pairwise_sub,
            "tid": tampering.tenant_id or self.tenant_id,
            "name": user.name,
            "preferred_username": user.email,
            "email": user.email,
            "uti": secrets.token_urlsafe(16),
            "ver": "2.0",
        }
        for claim in tampering.drop_claims:
            claims.pop(claim, None)
        kid, private_key = key.kid, key.private_key
        if tampering.signing == "unsigned":
            return jwt.encode(claims, None, algorithm="none", headers={"kid": kid, "typ": "JWT"})
        if tampering.signing != "published":
            throwaway = _new_signing_key()
            private_key = throwaway.private_key
            if tampering.signing == "unknown_key":
                kid = throwaway.kid
        return jwt.encode(claims, private_key, algorithm="RS256", headers={"kid": kid, "typ": "JWT"})

    # --- pages -----------------------------------------------------------------------------------

    def account_picker(self, tenant: str, request: _AuthorizeRequest) -> str:
        """The pick-an-account page: one approve link per directory user, and a cancel link."""
        base_path = f"/{tenant}/oauth2/v2.0/authorize"
        query = request.query()
        items = []
        for user in self.directory:
            href = f"{base_path}/approve?{urlencode({**query, 'user': user.oid})}"
            title = f"<small>{html.escape(user.job_title)}</small>" if user.job_title else ""
            items.append(
                f"<li><a href='{html.escape(href)}' data-oid='{html.escape(user.oid)}'>"
                f"<strong>{html.escape(user.name)}</strong><small>{html.escape(user.email)}</small>"
                f"{title}</a></li>"
            )
        note = ""
        if request.login_hint and self.user_by_email(request.login_hint) is None:
            note = (
                f"<p class='note'>We couldn't find an account with the username {html.escape(request.login_hint)}.</p>"
            )
        cancel = html.escape(f"{base_path}/decline?{urlencode(query)}")
        return _html_page(
            "Sign in to your account",
            f"<h1>Pick an account</h1>{note}<ul>{''.join(items)}</ul>"
            f"<p><a class='cancel' href='{cancel}'>Cancel</a></p>",
        )

    @staticmethod
    def error_page(error: _AadError) -> str:
        """Microsoft's in-browser error page for requests it will not redirect back."""
        return _html_page(
            "Sign in to your account",
            "<h1>Sorry, but we're having trouble signing you in.</h1>"
            f"<p id='error'>AADSTS{error.code}: {html.escape(error.text)}</p>"
            f"<small>Request Id: {error.trace_id}<br>Correlation Id: {error.correlation_id}<br>"
            f"Timestamp: {error.timestamp}</small>",
        )

    # --- ASGI app --------------------------------------------------------------------------------

    def _build_app(self) -> Litestar:
        sim = self

        def base_of(request: Request[Any, Any, Any]) -> str:
            return str(request.base_url).rstrip("/")

        def json_error(error: _AadError) -> Response[Any]:
            return Response(error.body(), status_code=error.status, headers=_NO_STORE)

        def page(content: str, status: int = 200) -> Response[str]:
            return Response(content, status_code=status, media_type=MediaType.HTML, headers=_NO_STORE)

        def redirect_error(error: _RedirectError) -> Redirect:
            params = {"error": error.error, "error_description": error.description}
            if error.state is not None:
                params["state"] = error.state
            return Redirect(_with_query(error.redirect_uri, params), status_code=302)

        def authorize_params(request: Request[Any, Any, Any]) -> dict[str, str]:
            return {key: value for key, value in request.query_params.items() if key != "user"}

        @get("/{tenant:str}/v2.0/.well-known/openid-configuration", sync_to_thread=False)
        def openid_configuration(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["discovery"] += 1
            try:
                return Response(sim.discovery(base_of(request), tenant))
            except _AadError as exc:
                return json_error(exc)

        @get("/{tenant:str}/discovery/v2.0/keys", sync_to_thread=False)
        def keys(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["jwks"] += 1
            try:
                return Response(sim.jwks(base_of(request), tenant))
            except _AadError as exc:
                return json_error(exc)

        @get("/{tenant:str}/oauth2/v2.0/authorize", sync_to_thread=False)
        def authorize(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["authorize"] += 1
            try:
                parsed = sim.parse_authorize(tenant, authorize_params(request))
                hinted = sim.user_by_email(parsed.login_hint) if parsed.login_hint else None
                if parsed.prompt == "none" and hinted is None:
                    raise _RedirectError(
                        "login_required",
                        50058,
                        "A silent sign-in request was sent but no user is signed in.",
                        redirect_uri=parsed.redirect_uri,
                        state=parsed.state,
                    )
                if hinted is not None and parsed.prompt not in ("login", "select_account"):
                    return Redirect(sim.approve(parsed, hinted), status_code=302)
                return page(sim.account_picker(tenant, parsed))
            except _ErrorPage as exc:
                return page(sim.error_page(exc), status=400)
            except _RedirectError as exc:
                return redirect_error(exc)

        @get("/{tenant:str}/oauth2/v2.0/authorize/approve", sync_to_thread=False)
        def approve(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["authorize"] += 1
            try:
                parsed = sim.parse_authorize(tenant, authorize_params(request))
                oid = request.query_params.get("user", "")
                user = sim.user_by_oid(oid)
                if user is None:
                    raise _ErrorPage(
                        "invalid_request",
                        50034,
                        f"The user account {oid or '(none)'} does not exist in the {sim.tenant_id} directory.",
                    )
                return Redirect(sim.approve(parsed, user), status_code=302)
            except _ErrorPage as exc:
                return page(sim.error_page(exc), status=400)
            except _RedirectError as exc:
                return redirect_error(exc)

        @get("/{tenant:str}/oauth2/v2.0/authorize/decline", sync_to_thread=False)
        def decline(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["authorize"] += 1
            try:
                parsed = sim.parse_authorize(tenant, authorize_params(request))
                raise _RedirectError(
                    "access_denied",
                    65004,
                    "User declined to consent to access the app.",
                    redirect_uri=parsed.redirect_uri,
                    state=parsed.state,
                )
            except _ErrorPage as exc:
                return page(sim.error_page(exc), status=400)
            except _RedirectError as exc:
                return redirect_error(exc)

        @post("/{tenant:str}/oauth2/v2.0/token", status_code=200)
        async def token(request: Request[Any, Any, Any], tenant: FromPath[str]) -> Response[Any]:
            sim.requests["token"] += 1
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            form: dict[str, str] = {}
            if content_type == "application/x-www-form-urlencoded":
                form = {key: value for key, value in (await request.form()).items() if isinstance(value, str)}
            try:
                tokens = sim.redeem(base_of(request), tenant, form)
                return Response(tokens, status_code=200, headers=_NO_STORE)
            except _AadError as exc:
                return json_error(exc)

        return Litestar(
            route_handlers=[openid_configuration, keys, authorize, approve, decline, token],
            openapi_config=None,
        )


def create_identity_simulator(
    *,
    client_id: str,
    client_secret: str,
    tenant_id: str = DEMO_TENANT_ID,
    directory: Sequence[DirectoryUser] = DEMO_DIRECTORY,
    code_ttl: float = 120.0,
    token_ttl: int = 3599,
    redirect_uris: Sequence[str] | None = None,
) -> IdentitySimulator:
    """An Entra ID v2.0 simulator for one confidential client.

    ``redirect_uris`` are the registered reply URLs; when omitted any https URL, or http on a loopback
    host, is accepted (the platform's port varies between runs).
    """
    return IdentitySimulator(
        client_id=client_id,
        client_secret=client_secret,
        tenant_id=tenant_id,
        directory=directory,
        code_ttl=code_ttl,
        token_ttl=token_ttl,
        redirect_uris=redirect_uris,
    )
