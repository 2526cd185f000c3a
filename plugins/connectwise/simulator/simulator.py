"""The simulator object: store, fault switches, callback dispatcher and the ASGI app, wired together."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .app import SimulatorApp
from .callbacks import CallbackDelivery, CallbackDispatcher, CallbackSettings
from .control import SimulatorControl
from .credentials import SimulatorCredentials
from .faults import FaultControls
from .operations import Operations
from .records import Record
from .resources import resolve_kind
from .seed import SeedSizes, seed_store
from .store import RecordStore

DEFAULT_CODEBASE = "v2025_1/"
#: Codebases every cloud site also answers on.
LEGACY_CODEBASE = "v4_6_release/"


class ConnectWiseSimulator:
    """A ConnectWise PSA (Manage) site in memory, served by :attr:`app` over real HTTP.

    ``store`` holds the records, ``faults`` switches failures on and off, ``callback_deliveries``
    lists every callback delivery attempt. Use :meth:`touch` to change a record the way a person in
    ConnectWise would (``_info`` bumped, callbacks delivered).
    """

    def __init__(
        self,
        *,
        seed: int = 1,
        scale: float = 1.0,
        credentials: SimulatorCredentials | None = None,
        codebase: str = DEFAULT_CODEBASE,
        company_name: str = "Optima Technologies",
        api_version: str = "2025.1",
        callback_timeout: float = 5.0,
        callback_retry_delays: Sequence[float] = (2.0, 4.0),
    ) -> None:
        if not codebase.endswith("/"):
            codebase += "/"
        self.seed = seed
        self.scale = scale
        self.credentials = credentials or SimulatorCredentials()
        self.codebase = codebase
        self.codebases = frozenset({codebase.lower(), LEGACY_CODEBASE})
        self.company_name = company_name
        self.api_version = api_version
        self.version_code = "v" + api_version
        self.version_number = f"v{api_version}.{seed % 1000:03d}00"
        self.store = RecordStore()
        self.sizes: SeedSizes = seed_store(self.store, seed, scale)
        self.faults = FaultControls()
        self.callbacks = CallbackDispatcher(
            self.store,
            self.credentials,
            CallbackSettings(timeout=callback_timeout, retry_delays=tuple(callback_retry_delays)),
            api_base=f"http://connectwise.simulator/{codebase}apis/3.0",
        )
        self.operations = Operations(self.store, self.callbacks)
        self.control = SimulatorControl(self)
        self.app = SimulatorApp(self)

    @property
    def public_url(self) -> str:
        """The site root callbacks describe records under (``Metadata.key_url``, hrefs in ``Entity``).

        Set it once the server's address is known (:class:`RunningSimulator` does); API calls also
        update it from the address the client used.
        """
        return self.callbacks.api_base.removesuffix(f"/{self.codebase}apis/3.0")

    @public_url.setter
    def public_url(self, url: str) -> None:
        self.callbacks.api_base = f"{url.rstrip('/')}/{self.codebase}apis/3.0"

    @property
    def callback_deliveries(self) -> list[CallbackDelivery]:
        """Every delivery attempt so far, oldest first (retries appear as further attempts)."""
        return self.callbacks.deliveries

    def get(self, kind: str, record_id: int) -> Record | None:
        """The stored record of ``kind`` (``"company"``, ``"opportunity"``, ``"companies"``, …)."""
        return self.store.get(resolve_kind(kind).name, record_id)

    async def touch(
        self,
        kind: str,
        record_id: int,
        *,
        action: str = "updated",
        updated_by: str | None = None,
        wait: bool = True,
        **changes: Any,
    ) -> Record:
        """Change one record as a ConnectWise user would, and deliver the matching callbacks.

        ``changes`` replace top-level fields (``None`` removes one; references may be ``{"id": …}``);
        ``_info.lastUpdated``/``updatedBy`` are set. ``action="deleted"`` removes the record instead.
        With ``wait`` (the default) this returns once every delivery, retries included, has finished.
        Raises ``KeyError`` for an unknown kind and :class:`ConnectWiseError` (404 / 400) for an unknown
        id or invalid changes.
        """
        if action not in ("updated", "deleted", "added"):
            raise ValueError("action must be 'added', 'updated' or 'deleted'")
        spec = resolve_kind(kind)
        member = updated_by or self._default_editor()
        parent_id = self.store.parent_of(spec.name, record_id)
        if action == "deleted":
            outcome = self.operations.delete(spec, record_id, member, parent_id)
        else:
            existing = self.operations.existing(spec, record_id, parent_id)
            merged = {**existing, **changes}
            outcome = self.operations.update(spec, record_id, merged, member, parent_id, action)
        if wait:
            await self.callbacks.wait_idle()
        return outcome.record

    async def wait_for_callbacks(self, timeout: float = 30.0) -> None:
        """Wait until every callback delivery in progress (from any thread) has finished."""
        await self.callbacks.wait_idle(timeout)

    def _default_editor(self) -> str:
        for member in self.store.records("members"):
            if not member.get("inactiveFlag") and member.get("lastName"):
                return str(member["identifier"])
        return self.credentials.member_identifier


def create_connectwise_simulator(
    seed: int = 1,
    scale: float = 1.0,
    credentials: SimulatorCredentials | None = None,
    codebase: str = DEFAULT_CODEBASE,
    **options: Any,
) -> ConnectWiseSimulator:
    """Build a seeded simulator; ``options`` go to :class:`ConnectWiseSimulator` (e.g.
    ``callback_retry_delays=(0.05, 0.1)`` for fast tests, ``company_name``, ``api_version``)."""
    return ConnectWiseSimulator(seed=seed, scale=scale, credentials=credentials, codebase=codebase, **options)
