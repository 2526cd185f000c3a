"""MicrosoftIdentityClient against the Entra ID simulator and misbehaving providers, over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import html
import re
import string
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from litestar import Litestar, Response, get, post
from litestar.params import FromPath

from optima_platform.core.identity.oidc import SCOPES, AuthFlow, IdentityError, MicrosoftIdentityClient
from optima_platform.core.identity.simulator import (
    DEMO_DIRECTORY,
    DEMO_TENANT_ID,
    IdentitySimulator,
    IdTokenTampering,
    create_identity_simulator,
)
from optima_platform.servers import ThreadedServer, free_port

CLIENT_ID = "4a7d2c9e-1b3f-4e6a-8c5d-7f0e9b2a1c3d"
CLIENT_SECRET = "oidc~V3n.pR8sK1xW6qT9mZ2cL5hF0jB4dG7y"
REDIRECT_URI = "http://127.0.0.1:9/v1/auth/redirect"
OTHER_TENANT = "0f9e8d7c-6b5a-4a3b-9c2d-1e0f9a8b7c6d"
ALEX, TAYLOR, SAM = DEMO_DIRECTORY[0], DEMO_DIRECTORY[1], DEMO_DIRECTORY[3]


@pytest.fixture
def sim() -> IdentitySimulator:
    return create_identity_simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)


@pytest.fixture
def server(sim: IdentitySimulator) -> Iterator[ThreadedServer]:
    with ThreadedServer(sim.app) as running:
        yield running


def make_client(url: str, tenant: str = DEMO_TENANT_ID, **kwargs: object) -> MicrosoftIdentityClient:
    options: dict[str, object] = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **kwargs}
    return MicrosoftIdentityClient(authority=url, tenant=tenant, redirect_uri=REDIRECT_URI, **options)  # type: ignore[arg-type]


@pytest.fixture
async def client(server: ThreadedServer) -> AsyncIterator[MicrosoftIdentityClient]:
    async with make_client(server.url) as identity:
        yield identity


async def browse(url: str) -> httpx.Response:
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        return await browser.get(url)


def callback_query(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 302, response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT_URI)
    return {key: values[0] for key, values in parse_qs(urlsplit(location).query).items()}


async def code_for(flow: AuthFlow) -> str:
    """Follow ``flow.authorize_url`` (with a matching login_hint) back to the redirect; the code."""
    query = callback_query(await browse(flow.authorize_url))
    assert query["state"] == flow.state
    return query["code"]


async def sign_in(client: MicrosoftIdentityClient, email: str = ALEX.email) -> IdentityError | None:
    """A whole sign-in; the IdentityError it ends in, if any."""
    flow = client.new_flow(login_hint=email)
    code = await code_for(flow)
    try:
        await client.redeem(code, flow)
    except IdentityError as exc:
        return exc
    return None


# --- discovery and the authorize URL --------------------------------------------------------------


async def test_discover_reads_and_caches_the_configuration(
    client: MicrosoftIdentityClient, server: ThreadedServer, sim: IdentitySimulator
) -> None:
    config = await client.discover()
    assert config.issuer == f"{server.url}/{DEMO_TENANT_ID}/v2.0"
    assert config.token_endpoint == f"{server.url}/{DEMO_TENANT_ID}/oauth2/v2.0/token"
    assert config.jwks_uri == f"{server.url}/{DEMO_TENANT_ID}/discovery/v2.0/keys"
    assert await client.discover() is config
    assert sim.requests["discovery"] == 1


async def test_new_flow_builds_the_authorize_url_with_pkce(client: MicrosoftIdentityClient) -> None:
    flow = client.new_flow(login_hint=ALEX.email)
    url = urlsplit(flow.authorize_url)
    params = {key: values[0] for key, values in parse_qs(url.query).items()}
    assert params == {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "response_mode": "query",
        "scope": "openid profile email offline_access",
        "state": flow.state,
        "nonce": flow.nonce,
        "code_challenge": base64.urlsafe_b64encode(hashlib.sha256(flow.code_verifier.encode()).digest())
        .rstrip(b"=")
        .decode(),
        "code_challenge_method": "S256",
        "login_hint": ALEX.email,
    }
    assert SCOPES == params["scope"]
    assert 43 <= len(flow.code_verifier) <= 128
    assert set(flow.code_verifier) <= set(string.ascii_letters + string.digits + "-._~")
    other = client.new_flow()
    assert len({flow.state, flow.nonce, flow.code_verifier, other.state, other.nonce, other.code_verifier}) == 6
    assert "login_hint" not in other.authorize_url

    await client.discover()
    assert urlsplit(client.new_flow().authorize_url).path == url.path == f"/{DEMO_TENANT_ID}/oauth2/v2.0/authorize"


# --- sign-in --------------------------------------------------------------------------------------


async def test_full_code_exchange_returns_the_directory_user(client: MicrosoftIdentityClient) -> None:
    flow = client.new_flow(login_hint=ALEX.email)
    identity = await client.redeem(await code_for(flow), flow)
    assert (identity.oid, identity.tid, identity.name, identity.email) == (
        ALEX.oid,
        DEMO_TENANT_ID,
        ALEX.name,
        ALEX.email,
    )
    assert identity.claims["ver"] == "2.0"
    assert identity.claims["nonce"] == flow.nonce


async def test_sign_in_through_the_account_picker(client: MicrosoftIdentityClient) -> None:
    flow = client.new_flow()
    page = await browse(flow.authorize_url)
    assert page.status_code == 200
    links = dict(re.findall(r"<a href='([^']+)' data-oid='([^']+)'>", page.text))
    href = html.unescape(next(link for link, oid in links.items() if oid == SAM.oid))
    query = callback_query(await browse(str(httpx.URL(flow.authorize_url).join(href))))
    assert query["state"] == flow.state
    identity = await client.redeem(query["code"], flow)
    assert identity.oid == SAM.oid and identity.email == SAM.email


@pytest.mark.parametrize("alias", ["organizations", "common"])
async def test_tenant_alias_substitutes_tid_into_the_issuer(server: ThreadedServer, alias: str) -> None:
    async with make_client(server.url, tenant=alias) as client:
        assert "{tenantid}" in (await client.discover()).issuer
        flow = client.new_flow(login_hint=TAYLOR.email)
        identity = await client.redeem(await code_for(flow), flow)
        assert identity.oid == TAYLOR.oid and identity.tid == DEMO_TENANT_ID


async def test_allowed_tenants_limits_alias_sign_in(server: ThreadedServer) -> None:
    async with make_client(server.url, tenant="organizations", allowed_tenants=[OTHER_TENANT]) as client:
        error = await sign_in(client)
        assert error is not None and (error.status, error.error) == (403, "IdentityTenantNotAllowed")
    async with make_client(server.url, tenant="organizations", allowed_tenants=[DEMO_TENANT_ID.upper()]) as client:
        assert await sign_in(client) is None


# --- the token endpoint refuses -------------------------------------------------------------------


async def test_pkce_mismatch_is_an_invalid_code(client: MicrosoftIdentityClient) -> None:
    flow = client.new_flow(login_hint=ALEX.email)
    code = await code_for(flow)
    wrong = msgspec.structs.replace(flow, code_verifier=client.new_flow().code_verifier)
    with pytest.raises(IdentityError) as caught:
        await client.redeem(code, wrong)
    assert (caught.value.status, caught.value.error) == (401, "InvalidAuthorizationCode")
    assert caught.value.extra["providerErrorCodes"] == [501481]


async def test_reused_code_is_an_invalid_code(client: MicrosoftIdentityClient) -> None:
    flow = client.new_flow(login_hint=ALEX.email)
    code = await code_for(flow)
    await client.redeem(code, flow)
    with pytest.raises(IdentityError) as caught:
        await client.redeem(code, flow)
    assert (caught.value.status, caught.value.error) == (401, "InvalidAuthorizationCode")
    assert caught.value.extra["providerErrorCodes"] == [54005]
    assert code not in str(caught.value.body())


async def test_expired_code_is_an_invalid_code() -> None:
    sim = create_identity_simulator(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code_ttl=0.2)
    with ThreadedServer(sim.app) as server:
        async with make_client(server.url) as client:
            flow = client.new_flow(login_hint=ALEX.email)
            code = await code_for(flow)
            await asyncio.sleep(0.4)
            with pytest.raises(IdentityError) as caught:
                await client.redeem(code, flow)
    assert (caught.value.status, caught.value.error) == (401, "InvalidAuthorizationCode")
    assert caught.value.extra["providerErrorCodes"] == [70008]


async def test_wrong_client_secret_is_a_rejected_client(server: ThreadedServer) -> None:
    async with make_client(server.url, client_secret="stale~secret-value") as client:
        error = await sign_in(client)
    assert error is not None
    assert (error.status, error.error) == (502, "IdentityClientRejected")
    assert error.extra["providerErrorCodes"] == [7000215]
    assert "stale~secret-value" not in str(error.body()) and CLIENT_SECRET not in str(error.body())
    assert "stale~secret-value" not in repr(client)


# --- the ID token is validated --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tampering", "reason"),
    [
        (IdTokenTampering(nonce="a-nonce-from-another-sign-in"), "nonce does not belong to this sign-in"),
        (IdTokenTampering(audience="11111111-2222-3333-4444-555555555555"), "issued for another application"),
        (IdTokenTampering(expired=True), "has expired"),
        (IdTokenTampering(not_yet_valid=True), "not valid yet"),
        (IdTokenTampering(issuer="https://login.microsoftonline.com/evil/v2.0"), "unexpected issuer"),
        (IdTokenTampering(tenant_id=OTHER_TENANT), "issued for another tenant"),
        (IdTokenTampering(signing="forged"), "signature is invalid"),
        (IdTokenTampering(signing="unsigned"), "not signed with RS256"),
        (IdTokenTampering(drop_claims=("oid",)), "lacks the 'oid' claim"),
        (IdTokenTampering(drop_claims=("nonce",)), "lacks the 'nonce' claim"),
        (IdTokenTampering(drop_claims=("preferred_username", "email")), "no 'preferred_username' or 'email'"),
    ],
)
async def test_a_bad_id_token_is_rejected(
    client: MicrosoftIdentityClient, sim: IdentitySimulator, tampering: IdTokenTampering, reason: str
) -> None:
    sim.tamper_next_id_token(tampering)
    error = await sign_in(client)
    assert error is not None
    assert (error.status, error.error) == (401, "InvalidIdToken")
    assert reason in error.message
    assert await sign_in(client) is None


async def test_alias_tenant_rejects_a_tid_that_does_not_match_the_issuer(
    server: ThreadedServer, sim: IdentitySimulator
) -> None:
    async with make_client(server.url, tenant="organizations") as client:
        sim.tamper_next_id_token(IdTokenTampering(tenant_id=OTHER_TENANT))
        error = await sign_in(client)
        assert error is not None and "unexpected issuer" in error.message
        sim.tamper_next_id_token(IdTokenTampering(drop_claims=("tid",)))
        error = await sign_in(client)
        assert error is not None and "lacks a valid 'tid' claim" in error.message


async def test_key_rotation_refetches_the_jwks_once(client: MicrosoftIdentityClient, sim: IdentitySimulator) -> None:
    assert await sign_in(client) is None
    assert sim.requests["jwks"] == 1
    sim.rotate_keys(retire_previous=True)
    assert await sign_in(client, TAYLOR.email) is None
    assert sim.requests["jwks"] == 2
    assert await sign_in(client, SAM.email) is None
    assert sim.requests["jwks"] == 2


async def test_an_unpublished_key_is_rejected_after_one_refetch(
    client: MicrosoftIdentityClient, sim: IdentitySimulator
) -> None:
    assert await sign_in(client) is None
    sim.tamper_next_id_token(IdTokenTampering(signing="unknown_key"))
    error = await sign_in(client)
    assert error is not None and (error.status, error.error) == (401, "InvalidIdToken")
    assert "unknown key" in error.message
    assert sim.requests["jwks"] == 2


# --- an unreachable or broken provider ------------------------------------------------------------


def broken_provider() -> Litestar:
    """An identity provider that misbehaves differently per tenant path segment."""
    port = free_port()

    @get("/{tenant:str}/v2.0/.well-known/openid-configuration")
    async def configuration(tenant: FromPath[str]) -> Response[object]:
        if tenant == "slow":
            await asyncio.sleep(1.5)
        if tenant == "html":
            return Response("<html>Service unavailable</html>", media_type="text/html")
        if tenant == "down":
            return Response({"error": "temporarily_unavailable"}, status_code=503)
        return Response(
            {
                "issuer": f"http://broken/{tenant}/v2.0",
                "authorization_endpoint": f"http://broken/{tenant}/authorize",
                "token_endpoint": f"http://127.0.0.1:{port}/token",
                "jwks_uri": f"http://127.0.0.1:{port}/keys",
                "id_token_signing_alg_values_supported": ["HS256"] if tenant == "hs256" else ["RS256"],
            }
        )

    @post("/token", status_code=500, sync_to_thread=False)
    def token() -> str:
        return "Internal Server Error"

    app = Litestar([configuration, token], openapi_config=None)
    app.state.port = port
    return app


@pytest.fixture
def broken() -> Iterator[ThreadedServer]:
    app = broken_provider()
    with ThreadedServer(app, port=app.state.port) as running:
        yield running


@pytest.mark.parametrize(
    ("tenant", "status", "error"),
    [
        ("html", 502, "IdentityProviderUnavailable"),
        ("down", 502, "IdentityProviderUnavailable"),
        ("hs256", 502, "IdentityProviderUnavailable"),
        ("slow", 504, "IdentityProviderTimeout"),
    ],
)
async def test_broken_discovery(broken: ThreadedServer, tenant: str, status: int, error: str) -> None:
    async with make_client(broken.url, tenant=tenant, timeout=0.3) as client:
        with pytest.raises(IdentityError) as caught:
            await client.discover()
    assert (caught.value.status, caught.value.error) == (status, error)


async def test_token_endpoint_server_error_is_unavailable(broken: ThreadedServer) -> None:
    async with make_client(broken.url, tenant="fine") as client:
        flow = client.new_flow()
        with pytest.raises(IdentityError) as caught:
            await client.redeem("1.Asome-code", flow)
    assert (caught.value.status, caught.value.error) == (502, "IdentityProviderUnavailable")
    assert "500" in caught.value.message


async def test_unreachable_provider_is_unavailable() -> None:
    async with make_client(f"http://127.0.0.1:{free_port()}") as client:
        with pytest.raises(IdentityError) as caught:
            await client.redeem("1.Asome-code", client.new_flow())
    assert (caught.value.status, caught.value.error) == (502, "IdentityProviderUnavailable")
    assert caught.value.body()["successful"] is False


async def test_a_shared_http_client_is_left_open(server: ThreadedServer) -> None:
    async with httpx.AsyncClient() as shared:
        async with make_client(server.url, http=shared) as client:
            assert await sign_in(client) is None
        assert not shared.is_closed
        response = await shared.get(f"{server.url}/{DEMO_TENANT_ID}/discovery/v2.0/keys")
        assert response.status_code == 200
