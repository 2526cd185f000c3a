"""Running a simulator on a loopback port for tests and scripts, with an authenticated httpx client."""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from optima_platform.servers import ThreadedServer

from .simulator import ConnectWiseSimulator

#: The ``Accept`` header a 2025.1 client sends.
ACCEPT = "application/vnd.connectwise.com+json; version=2025.1"


class RunningSimulator:
    """``with RunningSimulator(sim) as running:`` serves ``sim.app`` in a background thread.

    ``running.url`` is the site root (``/login/companyinfo/…``), ``running.api_url`` the
    ``…/{codebase}apis/3.0`` base; ``running.client()`` / ``running.async_client()`` come with the
    Authorization, clientId and Accept headers a correct integration sends.
    """

    def __init__(self, simulator: ConnectWiseSimulator) -> None:
        self.simulator = simulator
        self.server = ThreadedServer(simulator.app)

    def start(self) -> RunningSimulator:
        """Start serving; returns ``self``."""
        self.server.start()
        self.simulator.public_url = self.server.url
        return self

    def stop(self) -> None:
        """Stop serving."""
        self.server.stop()

    def __enter__(self) -> RunningSimulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self.server.url

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:<port>/{codebase}apis/3.0``."""
        return f"{self.server.url}/{self.simulator.codebase}apis/3.0"

    def headers(self) -> dict[str, str]:
        """The headers of an authenticated ConnectWise API call."""
        credentials = self.simulator.credentials
        return {
            "Authorization": credentials.basic_authorization(),
            "clientId": credentials.client_id,
            "Accept": ACCEPT,
            "Content-Type": "application/json",
        }

    def client(self, **options: Any) -> httpx.Client:
        """A synchronous client rooted at :attr:`api_url`."""
        return httpx.Client(base_url=self.api_url, headers=self.headers(), **options)

    def async_client(self, **options: Any) -> httpx.AsyncClient:
        """An asynchronous client rooted at :attr:`api_url`."""
        return httpx.AsyncClient(base_url=self.api_url, headers=self.headers(), **options)
