"""The plugin as the host sees it: settings and start-up errors, introspection, nodes, disabling, limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from cw_harness import SECRET, CWEnv, cw_env, plugin_section
from optima_connectwise.connection import RateLimitedTransport, client_of
from optima_connectwise.settings import ConnectWiseSettings

from optima_platform.app import create_litestar
from optima_platform.hooks.registry import PluginError
from optima_platform.host import Host
from optima_platform.settings import SettingsError
from optima_platform.testing.fixtures import DatabaseFactory, make_settings, start_live_app
from optima_platform.testing.matrix import check_no_server_errors

SITE = "http://127.0.0.1:9"


def settings_with(**section: Any) -> Any:
    return make_settings(
        "sqlite+aiosqlite:///:memory:", plugins=["core", "connectwise"], plugin_sections={"connectwise": section}
    )


@pytest.fixture(autouse=True)
def no_env_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CW_CALLBACK_SECRET", raising=False)


@pytest.mark.parametrize("missing", ["site", "company_id", "public_key", "private_key", "client_id"])
def test_each_credential_is_required_with_a_one_line_error(missing: str) -> None:
    section = plugin_section(SITE)
    section.pop(missing)
    with pytest.raises(PluginError) as info:
        Host.build(settings_with(**section))
    assert str(info.value) == (
        f"plugin connectwise: setting plugins.connectwise.{missing} is required; "
        "set it in optima.toml or disable connectwise"
    )


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"site": "ftp://cw.example.com"}, "invalid setting plugins.connectwise: ConnectWise site must be"),
        ({"site": "http://cw.example.com"}, "uses plain http; ConnectWise requires https"),
        ({"site": "https://cw.example.com/v4_6_release"}, "has a path"),
        ({"codebase": "../x"}, "invalid ConnectWise codebase"),
        ({"timeout": 0}, "timeout must be a positive number"),
        ({"max_concurrency": 0}, "max_concurrency must be at least 1"),
        ({"rate_limit_per_minute": -1}, "rate_limit_per_minute must be 0"),
        ({"enrichment_ttl": 0}, "enrichment_ttl must be at least 1"),
        ({"callback_secret": "short"}, "must be at least 16 characters"),
        ({"callback_secret": "has a space in it, sadly"}, "may hold only letters"),
        ({"callback_base_url": "optima.example.com"}, "callback_base_url must be an http(s) URL"),
        ({"timeout": "soon"}, "invalid setting plugins.connectwise.timeout: Expected `float`"),
        ({"sight": "typo"}, "invalid setting plugins.connectwise.sight: unknown setting"),
    ],
)
def test_bad_settings_name_the_problem(overrides: dict[str, Any], expected: str) -> None:
    with pytest.raises(SettingsError) as info:
        Host.build(settings_with(**{**plugin_section(SITE), **overrides}))
    message = str(info.value)
    assert expected in message and "\n" not in message
    assert "test-private" not in message and SECRET not in message


def test_good_settings_and_their_repr() -> None:
    host = Host.build(settings_with(**plugin_section(SITE, codebase="v2025_1", allow_insecure_http=True)))
    settings = host.settings_for("connectwise")
    assert isinstance(settings, ConnectWiseSettings)
    assert settings.client_config().site == SITE and settings.client_config().codebase == "v2025_1"
    text = repr(settings)
    assert "test-private" not in text and "test-public" not in text and SECRET not in text
    assert settings.callback_url("http://optima.test:3000/", "company") == (
        f"http://optima.test:3000/v1/cw/callback/{SECRET}/company"
    )
    based = ConnectWiseSettings(callback_secret=SECRET, callback_base_url="https://optima.example.com")
    assert (
        based.callback_url("http://ignored", "ticket") == f"https://optima.example.com/v1/cw/callback/{SECRET}/ticket"
    )


def test_the_environment_secret_overrides_the_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_CALLBACK_SECRET", "from-the-environment-0123")
    host = Host.build(settings_with(**plugin_section(SITE)))
    assert host.settings_for("connectwise").callback_secret == "from-the-environment-0123"
    monkeypatch.setenv("CW_CALLBACK_SECRET", "tiny")
    with pytest.raises(SettingsError, match="CW_CALLBACK_SECRET"):
        Host.build(settings_with(**plugin_section(SITE)))
    monkeypatch.setenv("CW_CALLBACK_SECRET", "")
    assert Host.build(settings_with(**plugin_section(SITE))).settings_for("connectwise").callback_secret == SECRET


def test_introspection_works_without_settings() -> None:
    host = Host.build(settings_with(), introspect=True)
    create_litestar(host)
    routes = {(r.method, r.path): r for r in host.routes if r.plugin == "connectwise"}
    assert set(routes) == {
        ("GET", "/v1/cw/members"),
        ("POST", "/v1/cw/callback/{secret}/{resource}"),
        ("GET", "/v1/company/companies/{identifier}/configurations"),
        ("GET", "/v1/company/companies/{identifier}/sites"),
    }
    assert routes[("POST", "/v1/cw/callback/{secret}/{resource}")].auth == "secret"
    assert routes[("GET", "/v1/cw/members")].permissions == []
    assert routes[("GET", "/v1/company/companies/{identifier}/sites")].permissions == [
        "company.fetch",
        "company.fetch.sites",
    ]
    assert {job.name for job in host.jobs_of("connectwise")} == {
        "connectwise.members.refresh",
        "connectwise.companies.sync",
    }


def test_nodes_join_the_core_company_category() -> None:
    host = Host.build(settings_with(**plugin_section(SITE)))
    company = host.permissions.categories["company"]
    nodes = {n.node: n for n in company.nodes}
    assert {"company.fetch", "company.fetch.configurations", "company.fetch.sites"} <= set(nodes)
    assert nodes["company.fetch.sites"].plugin == "connectwise"
    assert nodes["company.fetch.sites"].dependencies == ("company.fetch",)
    assert company.name == "Company Permissions"


async def test_disabled_plugin_routes_are_404(databases: DatabaseFactory) -> None:
    live = await start_live_app(make_settings(await databases.create(), plugins=["core"]))
    try:
        headers = await live.headers("*")
        for method, path in (
            ("GET", "/v1/cw/members"),
            ("POST", f"/v1/cw/callback/{SECRET}/company"),
            ("GET", "/v1/company/companies/250/configurations"),
            ("GET", "/v1/company/companies/250/sites"),
        ):
            response = await live.client.request(method, path, headers=headers)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["error"] == "NotFound"
        assert "connectwise.companies.sync" not in live.host.scheduler.jobs
        nodes = (await live.client.get("/v1/permissions/nodes", headers=headers)).json()["data"]
        assert "company.fetch.sites" not in str(nodes)
    finally:
        await live.stop()


@pytest.fixture(scope="module")
async def env(databases: DatabaseFactory) -> AsyncIterator[CWEnv]:
    async with cw_env(databases, seed=2, scale=0.1) as running:
        yield running


async def test_the_client_is_opened_at_start_up(env: CWEnv) -> None:
    client = client_of(env.live.host)
    assert client.origin == env.running.url
    assert (await client.codebase()) == env.sim.codebase


async def test_no_route_answers_5xx_to_junk(env: CWEnv) -> None:
    assert await check_no_server_errors(env.live, "connectwise") > 100


async def test_permissions_route_lists_the_nodes(env: CWEnv) -> None:
    headers = await env.live.headers("role.read")
    response = await env.live.client.get("/v1/permissions/company", headers=headers)
    assert response.status_code == 200, response.text
    listed = {p["node"]: p for p in response.json()["data"]["permissions"]}
    assert listed["company.fetch.sites"]["usedIn"] == ["GET /v1/company/companies/{identifier}/sites"]
    assert listed["company.fetch.configurations"]["usedIn"] == ["GET /v1/company/companies/{identifier}/configurations"]


async def test_the_rate_limit_delays_requests_beyond_the_window() -> None:
    seen: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return httpx.Response(200, json={})

    transport = RateLimitedTransport(3, window=0.4, inner=httpx.MockTransport(answer))
    async with httpx.AsyncClient(transport=transport) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get("http://cw.test/x") for _ in range(7)))
    assert len(seen) == 7
    assert seen[2] - started < 0.2  # the first three go at once
    assert seen[3] - started >= 0.39 and seen[6] - started >= 0.79
    for first, fourth in zip(seen, seen[3:], strict=False):
        assert fourth - first >= 0.39  # never more than three in any 0.4 s


async def test_no_rate_limit_when_zero() -> None:
    transport = RateLimitedTransport(0, window=60, inner=httpx.MockTransport(lambda r: httpx.Response(204)))
    async with httpx.AsyncClient(transport=transport) as client:
        started = time.monotonic()
        await asyncio.gather(*(client.get("http://cw.test/x") for _ in range(50)))
    assert time.monotonic() - started < 1
