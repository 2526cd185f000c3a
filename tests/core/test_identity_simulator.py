"""The Entra ID v2.0 simulator over real HTTP, checked against the protocol notes, not our client."""

from __future__ import annotations

import base64
import hashlib
import html
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from optima_platform.core.identity.simulator import (
    DEMO_DIRECTORY,
    DEMO_TENANT_ID,
    IdentitySimulator,
    IdTokenTampering,
    create_identity_simulator,
)
from optima_platform.servers import ThreadedServer

CLIENT_ID = "9c1e4b7a-2f3d-4e8a-b6c5-0d1f2a3b4c5d"
CLIENT_SECRET = "sim~Q8r.zK2vT7mN4pX9wL1cF6hJ3bD0sG5a"
REDIRECT_URI = "http://127.0.0.1:9/v1/auth/redirect"
ALEX, TAYLOR = DEMO_DIRECTORY[0], DEMO_DIRECTORY[1]


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def sim() -> IdentitySimulator:
    return create_identity_simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def server(sim: IdentitySimulator) -> Iterator[ThreadedServer]:
    with ThreadedServer(sim.app) as running:
        yield running


@pytest.fixture
def http(server: ThreadedServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, follow_redirects=False) as client:
        yield client


class Browser:
    """Drives the authorize endpoint like a browser would, keeping the PKCE verifier and nonce."""

    def __init__(self, http: httpx.Client, tenant: str = DEMO_TENANT_ID) -> None:
        self.http = http
        self.tenant = tenant
        self.verifier = secrets.token_urlsafe(48)
        self.nonce = secrets.token_urlsafe(16)
        self.state = secrets.token_urlsafe(16)

    def params(self, **overrides: str | None) -> dict[str, str]:
        params: dict[str, str | None] = {
            "client_id": CLIENT_ID,
            "response_type": "code",
            "redirect_uri": REDIRECT_URI,
            "response_mode": "query",
            "scope": "openid profile email offline_access",
            "state": self.state,
            "nonce": self.nonce,
            "code_challenge": _challenge(self.verifier),
            "code_challenge_method": "S256",
            **overrides,
        }
        return {key: value for key, value in params.items() if value is not None}

    def authorize(self, **overrides: str | None) -> httpx.Response:
        return self.http.get(f"/{self.tenant}/oauth2/v2.0/authorize", params=self.params(**overrides))

    def code_for(self, email: str) -> str:
        response = self.authorize(login_hint=email)
        assert response.status_code == 302, response.text
        return redirect_query(response)["code"]

    def redeem(self, code: str, /, **overrides: str | None) -> httpx.Response:
        form: dict[str, str | None] = {
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": self.verifier,
            "scope": "openid profile email offline_access",
            **overrides,
        }
        data = {key: value for key, value in form.items() if value is not None}
        return self.http.post(f"/{self.tenant}/oauth2/v2.0/token", data=data)


def redirect_query(response: httpx.Response) -> dict[str, str]:
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI), location
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


def verify_id_token(http: httpx.Client, token: str, *, nonce: str) -> dict[str, Any]:
    """Verify an ID token with PyJWT against the published JWKS, independently of our client."""
    keys = http.get(f"/{DEMO_TENANT_ID}/discovery/v2.0/keys").json()["keys"]
    kid = jwt.get_unverified_header(token)["kid"]
    jwk = next(key for key in keys if key["kid"] == kid)
    claims = jwt.decode(
        token,
        jwt.PyJWK(jwk),
        algorithms=["RS256"],
        audience=CLIENT_ID,
        issuer=f"{http.base_url}".rstrip("/") + f"/{DEMO_TENANT_ID}/v2.0",
    )
    assert claims["nonce"] == nonce
    return claims


def aad_error(response: httpx.Response, status: int, error: str, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == error
    assert body["error_codes"] == [code]
    assert body["error_description"].startswith(f"AADSTS{code}: ")
    assert {"timestamp", "trace_id", "correlation_id"} <= body.keys()
    return body


# --- discovery and keys ---------------------------------------------------------------------------


def test_discovery_for_the_tenant_guid(http: httpx.Client, server: ThreadedServer) -> None:
    response = http.get(f"/{DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    config = response.json()
    assert config["issuer"] == f"{server.url}/{DEMO_TENANT_ID}/v2.0"
    assert config["authorization_endpoint"] == f"{server.url}/{DEMO_TENANT_ID}/oauth2/v2.0/authorize"
    assert config["token_endpoint"] == f"{server.url}/{DEMO_TENANT_ID}/oauth2/v2.0/token"
    assert config["jwks_uri"] == f"{server.url}/{DEMO_TENANT_ID}/discovery/v2.0/keys"
    assert config["id_token_signing_alg_values_supported"] == ["RS256"]
    assert "code" in config["response_types_supported"]


@pytest.mark.parametrize("alias", ["organizations", "common"])
def test_discovery_for_tenant_aliases_uses_the_tenantid_placeholder(
    http: httpx.Client, server: ThreadedServer, alias: str
) -> None:
    config = http.get(f"/{alias}/v2.0/.well-known/openid-configuration").json()
    assert config["issuer"] == f"{server.url}/{{tenantid}}/v2.0"
    assert config["token_endpoint"] == f"{server.url}/{alias}/oauth2/v2.0/token"


def test_unknown_tenant_is_refused(http: httpx.Client) -> None:
    response = http.get("/contoso.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    aad_error(response, 400, "invalid_tenant", 90002)


def test_jwks_publishes_the_rsa_signing_key_with_its_certificate(http: httpx.Client, sim: IdentitySimulator) -> None:
    (key,) = http.get(f"/{DEMO_TENANT_ID}/discovery/v2.0/keys").json()["keys"]
    assert key["kty"] == "RSA" and key["use"] == "sig"
    assert key["kid"] == key["x5t"] == sim.signing_kid
    certificate = x509.load_der_x509_certificate(base64.b64decode(key["x5c"][0]))
    der = certificate.public_bytes(serialization.Encoding.DER)
    assert base64.urlsafe_b64encode(hashlib.sha1(der).digest()).rstrip(b"=").decode() == key["x5t"]
    public = jwt.PyJWK(key).key
    assert public.public_numbers() == certificate.public_key().public_numbers()
    assert public.key_size == 2048


# --- authorize ------------------------------------------------------------------------------------


def test_matching_login_hint_approves_and_redirects_with_code_and_state(http: httpx.Client) -> None:
    browser = Browser(http)
    response = browser.authorize(login_hint=ALEX.email.upper())
    assert response.status_code == 302
    query = redirect_query(response)
    assert query["state"] == browser.state
    assert query["code"]
    assert set(query) == {"code", "state"}


def test_redirect_uri_query_is_kept(http: httpx.Client) -> None:
    browser = Browser(http)
    redirect_uri = f"{REDIRECT_URI}?tenant=acme"
    response = browser.authorize(login_hint=ALEX.email, redirect_uri=redirect_uri)
    query = redirect_query(response)
    assert query["tenant"] == "acme" and query["state"] == browser.state and query["code"]


def _approve_links(page: str) -> dict[str, str]:
    """``data-oid`` → approve href, from the account picker page."""
    return {oid: html.unescape(href) for href, oid in re.findall(r"<a href='([^']+)' data-oid='([^']+)'>", page)}


def test_without_hint_the_account_picker_lists_the_directory_and_approves_the_pick(
    http: httpx.Client,
) -> None:
    browser = Browser(http)
    page = browser.authorize()
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for user in DEMO_DIRECTORY:
        assert user.email in page.text and user.name in page.text
    links = _approve_links(page.text)
    assert set(links) == {user.oid for user in DEMO_DIRECTORY}

    approved = http.get(links[TAYLOR.oid])
    assert approved.status_code == 302
    query = redirect_query(approved)
    assert query["state"] == browser.state

    tokens = browser.redeem(query["code"]).json()
    claims = verify_id_token(http, tokens["id_token"], nonce=browser.nonce)
    assert claims["oid"] == TAYLOR.oid and claims["preferred_username"] == TAYLOR.email


def test_unknown_hint_shows_the_picker_with_a_notice(http: httpx.Client) -> None:
    page = Browser(http).authorize(login_hint="nobody@contoso-msp.example")
    assert page.status_code == 200
    assert "couldn't find an account with the username nobody@contoso-msp.example" in page.text
    assert len(_approve_links(page.text)) == len(DEMO_DIRECTORY)


def test_prompt_select_account_shows_the_picker_even_with_a_matching_hint(http: httpx.Client) -> None:
    page = Browser(http).authorize(login_hint=ALEX.email, prompt="select_account")
    assert page.status_code == 200 and ALEX.oid in _approve_links(page.text)


def test_prompt_none_without_a_known_user_redirects_login_required(http: httpx.Client) -> None:
    browser = Browser(http)
    query = redirect_query(browser.authorize(prompt="none"))
    assert query["error"] == "login_required"
    assert query["error_description"].startswith("AADSTS50058:")
    assert query["state"] == browser.state
    assert "code" not in query


def test_picker_cancel_redirects_access_denied(http: httpx.Client) -> None:
    browser = Browser(http)
    page = browser.authorize().text
    cancel = html.unescape(re.search(r"<a class='cancel' href='([^']+)'", page).group(1))  # type: ignore[union-attr]
    query = redirect_query(http.get(cancel))
    assert query["error"] == "access_denied" and query["state"] == browser.state


def test_approving_an_unknown_user_is_an_error_page(http: httpx.Client) -> None:
    browser = Browser(http)
    query = urlencode({**browser.params(), "user": "00000000-0000-0000-0000-000000000000"})
    response = http.get(f"/{DEMO_TENANT_ID}/oauth2/v2.0/authorize/approve?{query}")
    assert response.status_code == 400 and "AADSTS50034" in response.text


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, 700016),
        ({"client_id": None}, 900144),
        ({"redirect_uri": "http://evil.example/callback"}, 50011),
        ({"redirect_uri": "https://app.example/cb#frag"}, 50011),
        ({"redirect_uri": None}, 900144),
    ],
)
def test_untrusted_client_or_redirect_uri_is_a_400_page_not_a_redirect(
    http: httpx.Client, overrides: dict[str, str | None], code: int
) -> None:
    response = Browser(http).authorize(login_hint=ALEX.email, **overrides)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert f"AADSTS{code}:" in response.text


def test_registered_redirect_uris_are_enforced() -> None:
    sim = create_identity_simulator(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, redirect_uris=["https://optima.example/cb"]
    )
    with ThreadedServer(sim.app) as other, httpx.Client(base_url=other.url) as http:
        browser = Browser(http)
        assert browser.authorize(login_hint=ALEX.email).status_code == 400
        ok = browser.authorize(login_hint=ALEX.email, redirect_uri="https://optima.example/cb")
        assert ok.status_code == 302 and ok.headers["location"].startswith("https://optima.example/cb?code=")


@pytest.mark.parametrize(
    ("overrides", "error", "code"),
    [
        ({"response_type": "token"}, "unsupported_response_type", 70005),
        ({"response_type": None}, "invalid_request", 900144),
        ({"scope": "profile email"}, "invalid_scope", 70011),
        ({"nonce": None}, "invalid_request", 900144),
        ({"code_challenge": None}, "invalid_request", 9002325),
        ({"code_challenge_method": "plain"}, "invalid_request", 90023),
        ({"code_challenge": "too-short"}, "invalid_request", 501491),
        ({"response_mode": "fragment"}, "invalid_request", 90013),
        ({"prompt": "always"}, "invalid_request", 90023),
    ],
)
def test_other_authorize_errors_redirect_back_with_state(
    http: httpx.Client, overrides: dict[str, str | None], error: str, code: int
) -> None:
    browser = Browser(http)
    response = browser.authorize(login_hint=ALEX.email, **overrides)
    assert response.status_code == 302
    query = redirect_query(response)
    assert query["error"] == error
    assert query["error_description"].startswith(f"AADSTS{code}:")
    assert query["state"] == browser.state
    assert "code" not in query


def test_missing_state_redirects_without_state(http: httpx.Client) -> None:
    query = redirect_query(Browser(http).authorize(login_hint=ALEX.email, state=None))
    assert query["error"] == "invalid_request" and "state" not in query


# --- token ----------------------------------------------------------------------------------------


def test_code_exchange_returns_microsoft_shaped_tokens(http: httpx.Client, sim: IdentitySimulator) -> None:
    browser = Browser(http)
    response = browser.redeem(browser.code_for(ALEX.email))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {
        "token_type", "scope", "expires_in", "ext_expires_in", "access_token", "refresh_token", "id_token",
    }  # fmt: skip
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == body["ext_expires_in"] == 3599
    assert "openid" in body["scope"].split()
    assert jwt.get_unverified_header(body["id_token"]) == {
        "alg": "RS256",
        "kid": sim.signing_kid,
        "typ": "JWT",
    }
    claims = verify_id_token(http, body["id_token"], nonce=browser.nonce)
    assert claims["oid"] == ALEX.oid
    assert claims["tid"] == DEMO_TENANT_ID
    assert claims["name"] == ALEX.name
    assert claims["preferred_username"] == claims["email"] == ALEX.email
    assert claims["ver"] == "2.0"
    assert claims["sub"] and claims["sub"] != ALEX.oid
    assert claims["nbf"] <= claims["iat"] + 1 and claims["exp"] - claims["iat"] == 3599
    assert abs(claims["iat"] - time.time()) < 30


def test_without_offline_access_no_refresh_token(http: httpx.Client) -> None:
    browser = Browser(http)
    response = browser.authorize(login_hint=ALEX.email, scope="openid profile email")
    body = browser.redeem(redirect_query(response)["code"]).json()
    assert "refresh_token" not in body and body["id_token"]


def test_pkce_mismatch_is_refused_and_spends_the_code(http: httpx.Client) -> None:
    browser = Browser(http)
    code = browser.code_for(ALEX.email)
    aad_error(browser.redeem(code, code_verifier=secrets.token_urlsafe(48)), 400, "invalid_grant", 501481)
    aad_error(browser.redeem(code), 400, "invalid_grant", 54005)


def test_a_code_redeems_once(http: httpx.Client) -> None:
    browser = Browser(http)
    code = browser.code_for(ALEX.email)
    assert browser.redeem(code).status_code == 200
    aad_error(browser.redeem(code), 400, "invalid_grant", 54005)
    aad_error(browser.redeem(code), 400, "invalid_grant", 54005)


def test_an_expired_code_is_refused() -> None:
    sim = create_identity_simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code_ttl=0.2)
    with ThreadedServer(sim.app) as server, httpx.Client(base_url=server.url) as http:
        browser = Browser(http)
        code = browser.code_for(ALEX.email)
        time.sleep(0.4)
        body = aad_error(browser.redeem(code), 400, "invalid_grant", 70008)
        assert "expired" in body["error_description"]


def test_wrong_client_secret_is_invalid_client_and_leaves_the_code_usable(http: httpx.Client) -> None:
    browser = Browser(http)
    code = browser.code_for(ALEX.email)
    aad_error(browser.redeem(code, client_secret="not-the-secret"), 401, "invalid_client", 7000215)
    aad_error(browser.redeem(code, client_secret=None), 401, "invalid_client", 7000218)
    assert browser.redeem(code).status_code == 200


@pytest.mark.parametrize(
    ("overrides", "status", "error", "code"),
    [
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type", 70003),
        ({"grant_type": None}, 400, "invalid_request", 900144),
        ({"client_id": "11111111-2222-3333-4444-555555555555"}, 400, "unauthorized_client", 700016),
        ({"code_verifier": None}, 400, "invalid_request", 900144),
        ({"redirect_uri": "http://127.0.0.1:9/elsewhere"}, 400, "invalid_grant", 500112),
        ({"code": "1.Anot-a-real-code"}, 400, "invalid_grant", 9002313),
    ],
)
def test_token_request_errors(
    http: httpx.Client, overrides: dict[str, str | None], status: int, error: str, code: int
) -> None:
    browser = Browser(http)
    aad_error(browser.redeem(browser.code_for(ALEX.email), **overrides), status, error, code)


def test_token_request_must_be_form_encoded(http: httpx.Client) -> None:
    browser = Browser(http)
    code = browser.code_for(ALEX.email)
    response = http.post(
        f"/{DEMO_TENANT_ID}/oauth2/v2.0/token",
        json={"grant_type": "authorization_code", "client_id": CLIENT_ID, "code": code},
    )
    aad_error(response, 400, "invalid_request", 900144)


def test_token_endpoint_works_through_the_organizations_alias(http: httpx.Client) -> None:
    browser = Browser(http, tenant="organizations")
    body = browser.redeem(browser.code_for(ALEX.email)).json()
    assert verify_id_token(http, body["id_token"], nonce=browser.nonce)["tid"] == DEMO_TENANT_ID


# --- test controls --------------------------------------------------------------------------------


def test_rotate_keys_publishes_and_signs_with_the_new_key(http: httpx.Client, sim: IdentitySimulator) -> None:
    old = sim.signing_kid
    new = sim.rotate_keys()
    assert new != old and sim.signing_kid == new
    kids = [key["kid"] for key in http.get(f"/{DEMO_TENANT_ID}/discovery/v2.0/keys").json()["keys"]]
    assert kids == [old, new]
    browser = Browser(http)
    token = browser.redeem(browser.code_for(ALEX.email)).json()["id_token"]
    assert jwt.get_unverified_header(token)["kid"] == new
    verify_id_token(http, token, nonce=browser.nonce)

    newest = sim.rotate_keys(retire_previous=True)
    kids = [key["kid"] for key in http.get(f"/{DEMO_TENANT_ID}/discovery/v2.0/keys").json()["keys"]]
    assert kids == [newest]


def test_tampering_applies_to_the_next_id_token_only(http: httpx.Client, sim: IdentitySimulator) -> None:
    sim.tamper_next_id_token(IdTokenTampering(nonce="not-yours", audience="someone-else", drop_claims=("oid",)))
    browser = Browser(http)
    tampered = jwt.decode(
        browser.redeem(browser.code_for(ALEX.email)).json()["id_token"], options={"verify_signature": False}
    )
    assert tampered["nonce"] == "not-yours" and tampered["aud"] == "someone-else" and "oid" not in tampered

    browser = Browser(http)
    token = browser.redeem(browser.code_for(ALEX.email)).json()["id_token"]
    assert verify_id_token(http, token, nonce=browser.nonce)["oid"] == ALEX.oid


def test_tampered_signatures_fail_verification(http: httpx.Client, sim: IdentitySimulator) -> None:
    sim.tamper_next_id_token(IdTokenTampering(signing="forged"))
    browser = Browser(http)
    forged = browser.redeem(browser.code_for(ALEX.email)).json()["id_token"]
    assert jwt.get_unverified_header(forged)["kid"] == sim.signing_kid
    with pytest.raises(jwt.InvalidSignatureError):
        verify_id_token(http, forged, nonce=browser.nonce)

    sim.tamper_next_id_token(IdTokenTampering(signing="unknown_key"))
    browser = Browser(http)
    unknown = browser.redeem(browser.code_for(ALEX.email)).json()["id_token"]
    assert jwt.get_unverified_header(unknown)["kid"] not in sim.published_kids

    sim.tamper_next_id_token(IdTokenTampering(expired=True))
    browser = Browser(http)
    expired = browser.redeem(browser.code_for(ALEX.email)).json()["id_token"]
    with pytest.raises(jwt.ExpiredSignatureError):
        verify_id_token(http, expired, nonce=browser.nonce)


def test_requests_are_counted_per_endpoint(http: httpx.Client, sim: IdentitySimulator) -> None:
    http.get(f"/{DEMO_TENANT_ID}/v2.0/.well-known/openid-configuration")
    browser = Browser(http)
    browser.redeem(browser.code_for(ALEX.email))
    assert sim.requests["discovery"] == 1
    assert sim.requests["authorize"] == 1
    assert sim.requests["token"] == 1
    assert sim.requests["jwks"] == 0
