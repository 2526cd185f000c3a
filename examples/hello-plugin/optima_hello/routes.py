"""The plugin's routes, served under ``/v1``: each declares its auth, nodes and gate once."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Response
from litestar.params import QueryParameter

from optima_hello import service
from optima_hello.models import Greeting
from optima_platform.http.deps import HostDep, JSONBody, PrincipalDep
from optima_platform.http.envelope import envelope
from optima_platform.http.errors import ApiError
from optima_platform.http.guard import require
from optima_platform.http.routes import get, post
from optima_platform.permissions.gates import gate

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]


class GreetingCreate(msgspec.Struct, forbid_unknown_fields=True):
    """The body of ``POST /hello/greetings``: unknown keys and wrong types are a 400 ValidationError."""

    name: Name
    shout: bool = False


@post(
    "/hello/greetings",
    permissions=["hello.greet"],
    conditional={"body.shout=true": "hello.greet.shout"},
    summary="Create a greeting",
)
async def create_greeting(
    host: HostDep, principal: PrincipalDep, data: JSONBody[GreetingCreate]
) -> Response[dict[str, Any]]:
    if data.shout:
        require(principal, "hello.greet.shout", message="You may not shout.")
    name = data.name.strip()
    if not name:
        raise ApiError(400, "A greeting needs a name that is not blank.", "BlankName")
    async with host.db.session() as session, session.begin():
        greeting = Greeting(name=name, message=service.word(host, name, shout=data.shout), created_by=principal.user_id)
        session.add(greeting)
        await session.flush()
        body = service.greeting_json(greeting)
    await host.realtime.emit("hello:greeted", body, namespace="/hello")
    return envelope(body, "Greeting Created Successfully!", status=201)


@get(
    "/hello/greetings",
    permissions=["hello.greetings.fetch.many"],
    gate="obj.greeting",
    summary="List greetings (newest first)",
)
async def list_greetings(
    host: HostDep,
    principal: PrincipalDep,
    page: Annotated[int, QueryParameter(ge=1, le=1_000_000)] = 1,
    rpp: Annotated[int, QueryParameter(ge=1, le=200)] = 30,
) -> Response[dict[str, Any]]:
    async with host.db.session() as session:
        rows, total = await service.page_of(session, page=page, rpp=rpp)
        data = gate(principal.permissions, "obj.greeting", [service.greeting_json(g) for g in rows])
    return envelope(data, "Greetings Fetched Successfully!", pagination=service.pagination(page, rpp, total, len(data)))


@get("/hello/tally", permissions=["hello.tally.fetch"], summary="The count the hello.tally job last stored")
async def get_tally(host: HostDep) -> Response[dict[str, Any]]:
    tally = await service.read_tally(host)
    return envelope(tally or {"count": None, "countedAt": None}, "Tally Fetched Successfully!")


ROUTES = [create_greeting, list_greetings, get_tally]
