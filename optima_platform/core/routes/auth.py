"""Sign-in routes: ``/auth/uri``, ``/auth/redirect``, ``/auth/refresh`` (spec: Authentication Routes)."""

from __future__ import annotations

import html
from typing import Annotated, Any

from litestar import Request, Response
from litestar.params import HeaderParameter, QueryParameter

from optima_platform.core.services import ratelimit, signin
from optima_platform.core.services.tokens import refresh_session
from optima_platform.http.deps import HostDep
from optima_platform.http.envelope import envelope
from optima_platform.http.errors import ApiError
from optima_platform.http.routes import get, post

CLOSE_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; margin: 3em"><h1>{title}</h1><p>{text}</p>
<script>window.close();</script></body></html>"""


def _address(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


def _wants_json(request: Request[Any, Any, Any]) -> bool:
    return "application/json" in request.headers.get("accept", "")


@get("/auth/uri", auth="none")
async def auth_uri(
    host: HostDep,
    request: Request[Any, Any, Any],
    login_hint: Annotated[str | None, QueryParameter(name="loginHint", max_length=320)] = None,
) -> Response[dict[str, Any]]:
    """The Microsoft authorize URL and the ``callbackKey`` (the OAuth ``state``) to wait on."""
    await ratelimit.hit(host, "sign-in", _address(request), host.settings_for("core").rate_limit.sign_in_per_minute)
    flow = await signin.begin(host, login_hint)
    return envelope({"uri": flow.authorize_url, "callbackKey": flow.state}, "Successfully fetch Auth URI")


@get("/auth/redirect", auth="none")
async def auth_redirect(
    host: HostDep,
    request: Request[Any, Any, Any],
    code: Annotated[str | None, QueryParameter(max_length=4096)] = None,
    state_: Annotated[str | None, QueryParameter(name="state", max_length=512)] = None,
    error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    error_description: Annotated[str | None, QueryParameter(max_length=2000)] = None,
) -> Response[Any]:
    """Exchange the code, open a session, hand the tokens to the waiting socket, close the window."""
    state = state_
    await ratelimit.hit(host, "sign-in", _address(request), host.settings_for("core").rate_limit.sign_in_per_minute)
    try:
        if not state:
            raise ApiError(400, "The sign-in state is missing.", "InvalidState")
        if error:
            await signin.take_flow(host, state)
            raise ApiError(401, f"Sign-in was refused: {error}.", "SignInDenied")
        if not code:
            raise ApiError(400, "The authorization code is missing.", "InvalidAuthorizationCode")
        tokens = await signin.complete(
            host,
            code=code,
            state=state,
            client_address=_address(request),
            user_agent=request.headers.get("user-agent"),
            as_json=_wants_json(request),
        )
    except ApiError as exc:
        if state and exc.error != "InvalidState":
            await signin.hand_off(host, state, {"message": exc.message}, event="auth:error")
        if _wants_json(request):
            raise
        page = CLOSE_PAGE.format(title="Sign-in failed", text=html.escape(exc.message))
        return Response(page, status_code=exc.status, media_type="text/html")
    if _wants_json(request):
        data = {"accessToken": tokens.access_token, "refreshToken": tokens.refresh_token}
        return envelope(data, "Signed in successfully!")
    page = CLOSE_PAGE.format(title="Signed in", text="You are signed in. You can close this window.")
    return Response(page, media_type="text/html")


@post("/auth/refresh", auth="refresh", status_code=201)
async def auth_refresh(
    host: HostDep,
    request: Request[Any, Any, Any],
    refresh_token: Annotated[str | None, HeaderParameter(name="x-refresh-token", max_length=512)] = None,
) -> Response[dict[str, Any]]:
    """Rotate the refresh token; a spent one revokes the session."""
    await ratelimit.hit(host, "refresh", _address(request), host.settings_for("core").rate_limit.refresh_per_minute)
    if not refresh_token:
        raise ApiError(401, "The x-refresh-token header is missing.", "Unauthorized")
    tokens = await refresh_session(host, refresh_token)
    data = {"accessToken": tokens.access_token, "refreshToken": tokens.refresh_token}
    return envelope(data, "Token refreshed successfully!", status=201)


ROUTES = [auth_uri, auth_redirect, auth_refresh]
