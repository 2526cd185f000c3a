"""The ASGI application: ``/login/companyinfo``, ``/{codebase}apis/3.0/…`` and the ``/__sim__`` controls."""

from __future__ import annotations

import asyncio
import re
from typing import TYPE_CHECKING, Any

from .errors import ConnectWiseError, method_not_allowed, route_not_found, server_error
from .handlers import ApiHandlers
from .http import (
    ClientGone,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    error_response,
    json_response,
    read_request,
    send_response,
)
from .routing import match

if TYPE_CHECKING:
    from .simulator import ConnectWiseSimulator

_API = re.compile(r"^/(?P<codebase>[A-Za-z0-9_.]+/)apis/3\.0(?P<rest>/.*)?$", re.IGNORECASE)
_COMPANY_INFO = re.compile(r"^/login/companyinfo/(?P<company>[^/]+)/?$", re.IGNORECASE)
_VERSION = re.compile(r"version\s*=\s*([0-9]+(?:\.[0-9]+)*)", re.IGNORECASE)


def throttle_body(seconds: int) -> dict[str, str]:
    """The 429 body ConnectWise sends (note: ``error``/``message``, not the usual error shape)."""
    return {"error": "ConnectWiseAPI", "message": f"Too many requests. Please try again in {seconds} seconds."}


class SimulatorApp:
    """Raw ASGI app for one simulator: every response is built here, so headers and bodies are exact."""

    def __init__(self, simulator: ConnectWiseSimulator) -> None:
        self.simulator = simulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """ASGI entry point."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        try:
            request = await read_request(scope, receive)
        except ClientGone:
            return
        response = await self._respond(request, receive)
        if response is not None:
            await send_response(send, response)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _respond(self, request: Request, receive: Receive) -> Response | None:
        path = request.path
        if path.lower().startswith("/__sim__/"):
            return await self.simulator.control.handle(request)
        company = _COMPANY_INFO.match(path)
        if company is not None:
            if request.method != "GET":
                return error_response(method_not_allowed(request.method))
            return self._company_info(company.group("company"), request)
        api = _API.match(path)
        if api is None or api.group("codebase").lower() not in self.simulator.codebases:
            return error_response(route_not_found(path))
        api_base = f"{request.origin}/{api.group('codebase')}apis/3.0"
        return await self._api(request, api.group("rest") or "/", api_base, receive)

    def _company_info(self, company_id: str, request: Request) -> Response:
        sim = self.simulator
        if company_id.lower() != sim.credentials.company_id.lower():
            return error_response(ConnectWiseError(404, "NotFound", f"Company {company_id} not found", None))
        return json_response(
            200,
            {
                "CompanyName": sim.company_name,
                "Codebase": sim.codebase,
                "VersionCode": sim.version_code,
                "VersionNumber": sim.version_number,
                "CompanyID": sim.credentials.company_id,
                "IsCloud": True,
                "SiteUrl": request.host,
            },
        )

    async def _api(self, request: Request, rest: str, api_base: str, receive: Receive) -> Response | None:
        sim = self.simulator
        plan = sim.faults.plan(rest)
        if plan.latency:
            await asyncio.sleep(plan.latency)
        if plan.hang and await _hang(plan.hang, receive):
            return None
        if plan.throttle is not None:
            response = json_response(429, throttle_body(plan.throttle)).header("Retry-After", str(plan.throttle))
        elif plan.error:
            response = error_response(server_error())
        else:
            response = await self._api_call(request, rest, api_base)
        if plan.malformed:
            body = response.body or b'{"'
            response = Response(200, body[: max(1, len(body) // 2)], response.headers)
        response.header("api-current-version", sim.api_version)
        return response

    async def _api_call(self, request: Request, rest: str, api_base: str) -> Response:
        sim = self.simulator
        try:
            denied = sim.credentials.check(request.headers)
            if denied is not None:
                raise denied
            _check_accept(request.headers.get("accept", ""), sim.api_version)
            found = match(rest)
            if found is None:
                raise route_not_found(request.path)
            if not found.route.allows(request.method):
                raise method_not_allowed(request.method)
            sim.callbacks.api_base = api_base
            handlers = ApiHandlers(sim.store, sim.operations, sim.credentials.member_identifier)
            return await handlers.handle(request, found, api_base)
        except ConnectWiseError as error:
            return error_response(error, api_base)


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _check_accept(accept: str, current: str) -> None:
    """A 400 when the ``Accept`` header asks for an API version newer than the site runs."""
    if "vnd.connectwise.com" not in accept.lower():
        return
    found = _VERSION.search(accept)
    if found is not None and _version_tuple(found.group(1)) > _version_tuple(current):
        message = f"API version {found.group(1)} is not supported; the current version is {current}."
        raise ConnectWiseError(400, "InvalidVersion", message, [])


async def _hang(seconds: float, receive: Receive) -> bool:
    """Wait ``seconds``; ``True`` if the client gave up (disconnected) meanwhile."""
    sleeper = asyncio.ensure_future(asyncio.sleep(seconds))
    listener: asyncio.Future[Any] = asyncio.ensure_future(receive())
    done, _ = await asyncio.wait({sleeper, listener}, return_when=asyncio.FIRST_COMPLETED)
    if listener in done and listener.result().get("type") == "http.disconnect":
        sleeper.cancel()
        return True
    if sleeper not in done:
        await sleeper
    listener.cancel()
    return False
