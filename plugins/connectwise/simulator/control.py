"""``/__sim__/…``: controlling an out-of-process simulator over HTTP (faults, deliveries, record changes).

- ``GET /__sim__/faults`` → the fault settings; ``POST`` with a JSON object of settings changes some
  (400 on an unknown name or bad value); ``DELETE`` turns every fault off (204).
- ``GET /__sim__/callbacks`` → the callback delivery attempts; ``DELETE`` forgets them (204).
- ``POST /__sim__/touch`` with ``{"kind": "company", "id": 250, "changes": {...}, "action": "updated",
  "updatedBy": "jroberts"}`` changes a record as :meth:`ConnectWiseSimulator.touch` does; answers the
  record after the change once its callbacks are delivered.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from .errors import ConnectWiseError, field_error, method_not_allowed, route_not_found
from .http import Request, Response, error_response, json_response

if TYPE_CHECKING:
    from .simulator import ConnectWiseSimulator


def _bad(message: str, field: str = "") -> ConnectWiseError:
    return ConnectWiseError(400, "InvalidObject", message, [field_error("InvalidObject", message, "simulator", field)])


class SimulatorControl:
    """Handles ``/__sim__`` requests (no authentication: it is the test harness's side door)."""

    def __init__(self, simulator: ConnectWiseSimulator) -> None:
        self.simulator = simulator

    async def handle(self, request: Request) -> Response:
        """Answer one control request."""
        try:
            name = request.path.lower().removeprefix("/__sim__/").strip("/")
            if name == "faults":
                return self._faults(request)
            if name == "callbacks":
                return self._callbacks(request)
            if name == "touch":
                return await self._touch(request)
            raise route_not_found(request.path)
        except ConnectWiseError as error:
            return error_response(error)

    def _faults(self, request: Request) -> Response:
        faults = self.simulator.faults
        if request.method == "GET":
            return json_response(200, faults.as_dict())
        if request.method == "DELETE":
            faults.reset()
            return Response(204)
        if request.method != "POST":
            raise method_not_allowed(request.method)
        body = request.json("faults")
        if not isinstance(body, dict):
            raise _bad("The body must be a JSON object of fault settings")
        try:
            faults.set(**body)
        except ValueError as error:
            raise _bad(str(error)) from None
        return json_response(200, faults.as_dict())

    def _callbacks(self, request: Request) -> Response:
        dispatcher = self.simulator.callbacks
        if request.method == "GET":
            return json_response(
                200, {"pending": dispatcher.pending, "deliveries": [asdict(d) for d in dispatcher.deliveries]}
            )
        if request.method == "DELETE":
            dispatcher.deliveries.clear()
            return Response(204)
        raise method_not_allowed(request.method)

    async def _touch(self, request: Request) -> Response:
        if request.method != "POST":
            raise method_not_allowed(request.method)
        body: Any = request.json("touch")
        if not isinstance(body, dict) or not isinstance(body.get("id"), int) or not isinstance(body.get("kind"), str):
            raise _bad('The body must be {"kind": "company", "id": 250, "changes": {...}}')
        changes = body.get("changes") or {}
        if not isinstance(changes, dict):
            raise _bad("changes must be a JSON object", "changes")
        try:
            record = await self.simulator.touch(
                body["kind"],
                body["id"],
                action=str(body.get("action", "updated")),
                updated_by=body.get("updatedBy"),
                **changes,
            )
        except KeyError as error:
            raise _bad(str(error.args[0]), "kind") from None
        except ValueError as error:
            raise _bad(str(error), "action") from None
        return json_response(200, record, self.simulator.callbacks.api_base)
