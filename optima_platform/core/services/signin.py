"""Microsoft sign-in: the authorize URI, the redirect's code exchange, users by ``oid``, hand-off.

A sign-in attempt (``state`` = the client's ``callbackKey``, nonce, PKCE verifier) is kept in the
core cache namespace for ``auth.sign_in_ttl`` seconds and taken out on first use, so a state works
once and only before it expires, on any instance sharing the cache.

Hand-off over Socket.IO (namespace ``/``): the client emits ``auth:subscribe`` with
``{callbackKey}`` (ack ``{ok: true}``) and receives ``auth:tokens`` with
``{callbackKey, accessToken, refreshToken}``, or ``auth:error`` with ``{callbackKey, message}``.
One socket may subscribe to a ``callbackKey``. Tokens are delivered once: to the subscriber, or,
when the sign-in completes before anyone subscribed, kept for a minute for the first subscriber
and deleted on delivery. A redirect answered as JSON hands the tokens to the HTTP caller only.
"""

from __future__ import annotations

from typing import Any

import msgspec
from sqlalchemy import select

from optima_platform.core.identity.oidc import AuthFlow, IdentityClaims, MicrosoftIdentityClient
from optima_platform.core.models import Role, User
from optima_platform.core.services.tokens import IssuedTokens, create_session
from optima_platform.host import Host
from optima_platform.http.errors import ApiError

STATE_PREFIX = "signin:"
HANDOFF_PREFIX = "handoff:"
HANDOFF_TTL = 60


def handoff_room(callback_key: str) -> str:
    return f"auth:{callback_key}"


def identity_client(host: Host) -> MicrosoftIdentityClient:
    client = host.state.get("core.identity")
    if client is None:
        settings = host.settings_for("core").microsoft
        if not settings.client_id or not settings.client_secret:
            raise ApiError(503, "Microsoft sign-in is not configured.", "SignInNotConfigured")
        client = MicrosoftIdentityClient(
            authority=settings.authority,
            tenant=settings.tenant,
            client_id=settings.client_id,
            client_secret=settings.client_secret,
            redirect_uri=settings.redirect_uri or f"{host.settings.public_url}/v1/auth/redirect",
            timeout=settings.timeout,
            allowed_tenants=settings.allowed_tenants or None,
        )
        host.state["core.identity"] = client
    return client


async def begin(host: Host, login_hint: str | None) -> AuthFlow:
    client = identity_client(host)
    await client.discover()
    flow = client.new_flow(login_hint)
    ttl = host.settings_for("core").sign_in_ttl
    await host.store("core").set(STATE_PREFIX + flow.state, msgspec.json.encode(flow), expires_in=ttl)
    return flow


async def take_flow(host: Host, state: str) -> AuthFlow:
    store = host.store("core")
    raw = await store.get(STATE_PREFIX + state)
    if raw is None:
        raise ApiError(400, "Unknown, used or expired sign-in state.", "InvalidState")
    await store.delete(STATE_PREFIX + state)
    return msgspec.json.decode(raw, type=AuthFlow)


def trusted_tenant(host: Host, tenant_id: str) -> bool:
    """Whether emails from this tenant may link accounts and make bootstrap admins: the configured
    tenant GUID, or one of ``auth.microsoft.allowed_tenants``. With ``organizations``/``common`` and
    no allow-list any tenant can sign in, but its emails are not trusted."""
    settings = host.settings_for("core").microsoft
    trusted = {t.lower() for t in settings.allowed_tenants}
    if settings.tenant.lower() not in {"organizations", "common", "consumers"}:
        trusted.add(settings.tenant.lower())
    return tenant_id.lower() in trusted


async def upsert_user(host: Host, claims: IdentityClaims) -> tuple[User, bool]:
    """The user with this ``oid`` (or, first time, this email), created if new; bootstrap admins.

    Emails (mutable claims) are used only from a trusted tenant: to link a user created earlier by
    email and to grant the bootstrap admin role. Otherwise a sign-in whose email belongs to another
    account is refused (403) rather than linked.
    """
    admins = {e.strip().lower() for e in host.settings_for("core").bootstrap_admins}
    email = claims.email.strip().lower()
    trusted = trusted_tenant(host, claims.tid)
    async with host.db.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.oid == claims.oid))).scalar_one_or_none()
        if user is None and email and not trusted:
            taken = (await session.execute(select(User.id).where(User.email == email))).scalar_one_or_none()
            if taken is not None:
                raise ApiError(403, "This email belongs to another account.", "AccountConflict")
        if user is None and email and trusted:
            user = (
                await session.execute(select(User).where(User.email == email, User.oid.is_(None)))
            ).scalar_one_or_none()
        created = user is None
        if user is None:
            user = User(email=email, name=claims.name, login=email.split("@")[0], permissions=[], perm_version=0)
            user.roles = []
            session.add(user)
        user.oid = claims.oid
        if claims.name:
            user.name = claims.name
        if email in admins and trusted:
            admin = (await session.execute(select(Role).where(Role.moniker == "admin"))).scalar_one()
            if admin not in user.roles:
                user.roles.append(admin)
                user.perm_version = (user.perm_version or 0) + 1
        await session.flush()
    return user, created


async def complete(
    host: Host, *, code: str, state: str, client_address: str | None, user_agent: str | None, as_json: bool = False
) -> IssuedTokens:
    flow = await take_flow(host, state)
    claims = await identity_client(host).redeem(code, flow)
    user, _ = await upsert_user(host, claims)
    async with host.db.session() as session, session.begin():
        tokens = await create_session(host, session, user.id, client_address=client_address, user_agent=user_agent)
    if not as_json:
        await hand_off(host, state, {"accessToken": tokens.access_token, "refreshToken": tokens.refresh_token})
    return tokens


SUBSCRIBED_PREFIX = "handoff-subscribed:"


async def hand_off(host: Host, callback_key: str, payload: dict[str, Any], *, event: str = "auth:tokens") -> None:
    """Emit to the subscribed client (on any instance); with none yet, keep it for the first one."""
    body = {"callbackKey": callback_key, **payload}
    store = host.store("core")
    if await store.exists(SUBSCRIBED_PREFIX + callback_key):
        await host.realtime.emit(event, body, namespace="/", to=handoff_room(callback_key))
        return
    await store.set(
        HANDOFF_PREFIX + callback_key, msgspec.json.encode({"event": event, "body": body}), expires_in=HANDOFF_TTL
    )


async def subscribe(host: Host, callback_key: str) -> bool:
    """Mark ``callback_key`` as having its subscriber; False when another socket already has it."""
    store = host.store("core")
    if await store.exists(SUBSCRIBED_PREFIX + callback_key):
        return False
    await store.set(SUBSCRIBED_PREFIX + callback_key, b"1", expires_in=host.settings_for("core").sign_in_ttl)
    return True


async def pending_handoff(host: Host, callback_key: str) -> dict[str, Any] | None:
    store = host.store("core")
    raw = await store.get(HANDOFF_PREFIX + callback_key)
    if raw is None:
        return None
    await store.delete(HANDOFF_PREFIX + callback_key)
    return msgspec.json.decode(raw)
