"""Sessions and tokens.

* Access tokens: HS256 JWTs (the algorithm pinned) with ``iss``, ``aud``, ``iat``, ``exp``,
  ``typ=access`` and the session id ``sid``; valid only while their session is live.
* Refresh tokens: opaque random strings stored as SHA-256 hashes, rotated on every use. A spent
  refresh token presented again revokes its whole session (and so every access token of it).
* Sessions have an absolute lifetime (``auth.session_lifetime``) that refreshing never extends.
* API keys (``opk_…``): long-lived, stored hashed, revocable; sent as ``Authorization: Key …``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from optima_platform.core.models import ApiKey, AuthSession, Role, SpentRefreshToken, User
from optima_platform.core.services.principals import permissions_for
from optima_platform.db.base import utcnow
from optima_platform.host import Host
from optima_platform.http.errors import ApiError
from optima_platform.permissions.matcher import is_valid_entry
from optima_platform.permissions.principal import Principal

ALGORITHM = "HS256"
API_KEY_PREFIX = "opk_"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _signing_key(host: Host) -> bytes:
    return hmac.new(host.settings.secret_key.encode(), b"optima access token v1", hashlib.sha256).digest()


@dataclass(frozen=True)
class IssuedTokens:
    user_id: str
    session_id: str
    access_token: str
    refresh_token: str

    def as_json(self) -> dict[str, str]:
        return {"userId": self.user_id, "accessToken": self.access_token, "refreshToken": self.refresh_token}


def _access_token(host: Host, user_id: str, session_id: str, jti: str) -> str:
    settings = host.settings_for("core")
    now = utcnow()
    claims = {
        "iss": settings.issuer,
        "aud": settings.audience,
        "sub": user_id,
        "sid": session_id,
        "jti": jti,
        "typ": "access",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=settings.access_token_ttl)).timestamp()),
    }
    return jwt.encode(claims, _signing_key(host), algorithm=ALGORITHM)


def decode_access_token(host: Host, token: str) -> dict[str, Any] | None:
    settings = host.settings_for("core")
    try:
        claims = jwt.decode(
            token,
            _signing_key(host),
            algorithms=[ALGORITHM],
            audience=settings.audience,
            issuer=settings.issuer,
            options={"require": ["exp", "iat", "iss", "aud", "sub", "sid", "typ"]},
        )
    except jwt.PyJWTError:
        return None
    return claims if claims.get("typ") == "access" else None


async def create_session(
    host: Host,
    session: AsyncSession,
    user_id: str,
    *,
    client_address: str | None = None,
    user_agent: str | None = None,
) -> IssuedTokens:
    settings = host.settings_for("core")
    refresh = secrets.token_urlsafe(48)
    jti = secrets.token_hex(16)
    row = AuthSession(
        user_id=user_id,
        refresh_hash=_hash(refresh),
        access_jti=jti,
        expires_at=utcnow() + timedelta(seconds=settings.session_lifetime),
        client_address=client_address,
        user_agent=(user_agent or "")[:400] or None,
    )
    session.add(row)
    await session.flush()
    return IssuedTokens(user_id, row.id, _access_token(host, user_id, row.id, jti), refresh)


async def refresh_session(host: Host, refresh_token: str) -> IssuedTokens:
    """Rotate a refresh token; a spent one revokes its session. Raises 401 ApiError.

    The rotation is a conditional UPDATE (``WHERE refresh_hash = presented``), so of two concurrent
    refreshes with one token exactly one wins; the other sees a spent token.
    """
    presented = _hash(refresh_token)
    new_refresh = secrets.token_urlsafe(48)
    jti = secrets.token_hex(16)
    now = utcnow()
    async with host.db.session() as session, session.begin():
        rotated = await session.execute(
            update(AuthSession)
            .where(
                AuthSession.refresh_hash == presented,
                AuthSession.revoked_at.is_(None),
                AuthSession.expires_at > now,
            )
            .values(refresh_hash=_hash(new_refresh), access_jti=jti, last_used_at=now)
            .returning(AuthSession.id, AuthSession.user_id)
        )
        won = rotated.one_or_none()
        if won is not None:
            session.add(SpentRefreshToken(token_hash=presented, session_id=won.id))
            return IssuedTokens(won.user_id, won.id, _access_token(host, won.user_id, won.id, jti), new_refresh)
    async with host.db.session() as session, session.begin():
        spent = await session.get(SpentRefreshToken, presented)
        if spent is None:
            raise ApiError(401, "Invalid or expired refresh token.", "InvalidRefreshToken")
        await revoke_sessions(session, session_id=spent.session_id, reason="refresh-token-reuse")
    raise ApiError(401, "Refresh token was already used; the session has been revoked.", "RefreshTokenReused")


async def revoke_sessions(
    session: AsyncSession, *, user_id: str | None = None, session_id: str | None = None, reason: str
) -> None:
    stmt = update(AuthSession).where(AuthSession.revoked_at.is_(None))
    if user_id is not None:
        stmt = stmt.where(AuthSession.user_id == user_id)
    if session_id is not None:
        stmt = stmt.where(AuthSession.id == session_id)
    await session.execute(stmt.values(revoked_at=utcnow(), revoked_reason=reason))


async def session_is_live(host: Host, session_id: str) -> bool:
    async with host.db.session() as session:
        row = await session.get(AuthSession, session_id)
        return row is not None and row.revoked_at is None and row.expires_at > utcnow()


async def authenticate_token(host: Host, token: str) -> Principal | None:
    """An access token or API key → principal (None when invalid, expired or revoked)."""
    if token.startswith(API_KEY_PREFIX):
        return await _authenticate_api_key(host, token)
    claims = decode_access_token(host, token)
    if claims is None:
        return None
    async with host.db.session() as session:
        row = (
            await session.execute(
                select(AuthSession.expires_at, AuthSession.revoked_at, User.perm_version)
                .join(User, User.id == AuthSession.user_id)
                .where(AuthSession.id == claims["sid"], AuthSession.user_id == claims["sub"])
            )
        ).one_or_none()
        if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
            return None
        perms = await permissions_for(host, session, claims["sub"], row.perm_version)
    return Principal(user_id=claims["sub"], permissions=perms, session_id=claims["sid"], kind="token")


async def _authenticate_api_key(host: Host, token: str) -> Principal | None:
    async with host.db.session() as session:
        row = (
            await session.execute(
                select(ApiKey.id, ApiKey.user_id, ApiKey.revoked_at, User.perm_version)
                .join(User, User.id == ApiKey.user_id)
                .where(ApiKey.key_hash == _hash(token))
            )
        ).one_or_none()
        if row is None or row.revoked_at is not None:
            return None
        perms = await permissions_for(host, session, row.user_id, row.perm_version)
    return Principal(user_id=row.user_id, permissions=perms, api_key_id=row.id, kind="key")


async def create_api_key(host: Host, *, email: str, name: str) -> tuple[ApiKey, str]:
    secret = f"{API_KEY_PREFIX}{secrets.token_hex(4)}_{secrets.token_urlsafe(32)}"
    async with host.db.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.email == email.lower()))).scalar_one_or_none()
        if user is None:
            raise ApiError(404, f"User with email '{email}' was not found.", "UserNotFound")
        row = ApiKey(user_id=user.id, name=name, prefix=secret[: len(API_KEY_PREFIX) + 8], key_hash=_hash(secret))
        session.add(row)
    return row, secret


async def revoke_api_key(host: Host, key_id_or_prefix: str) -> bool:
    async with host.db.session() as session, session.begin():
        result = await session.execute(
            update(ApiKey)
            .where(
                (ApiKey.id == key_id_or_prefix) | (ApiKey.prefix == key_id_or_prefix),
                ApiKey.revoked_at.is_(None),
            )
            .values(revoked_at=utcnow())
        )
        return bool(result.rowcount)


async def issue_for_email(
    host: Host, *, email: str, name: str | None, roles: list[str], permissions: list[str]
) -> IssuedTokens:
    """Create the user if absent, add (never remove) roles and nodes, open a session."""
    bad = [p for p in permissions if not is_valid_entry(p) or not host.permissions.is_known(p)]
    if bad:
        raise ApiError(400, f"Not a known permission node: {bad[0]}", "InvalidPermission")
    email = email.strip().lower()
    async with host.db.session() as session, session.begin():
        user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
        if user is None:
            user = User(
                email=email,
                name=name or email.split("@")[0],
                login=email.split("@")[0],
                permissions=[],
                perm_version=0,
            )
            user.roles = []
            session.add(user)
        elif name:
            user.name = name
        if roles:
            found = (await session.execute(select(Role).where(Role.moniker.in_(roles)))).scalars().all()
            missing = sorted(set(roles) - {r.moniker for r in found})
            if missing:
                raise ApiError(404, f"Role '{missing[0]}' was not found.", "RoleNotFound")
            for role in found:
                if role not in user.roles:
                    user.roles.append(role)
        user.permissions = list(dict.fromkeys([*(user.permissions or []), *permissions]))
        user.perm_version = (user.perm_version or 0) + 1
        await session.flush()
        return await create_session(host, session, user.id)
