"""A ConnectWise PSA (Manage) site in a box: the only ConnectWise tests and the demo talk to.

Written from the wire-protocol notes (``connectwise.md``), independent of the plugin's client::

    from optima_connectwise.simulator import create_connectwise_simulator, SimulatorCredentials
    sim = create_connectwise_simulator(seed=1, scale=1.0, credentials=SimulatorCredentials(), codebase="v2025_1/")
    with ThreadedServer(sim.app) as server:      # optima_platform.servers
        sim.public_url = server.url              # so callbacks describe records under the real address
        ...  # GET {server.url}/login/companyinfo/optima, {server.url}/v2025_1/apis/3.0/company/companies
    await sim.touch("company", 250, name="New Name")   # as a person in ConnectWise; delivers callbacks
    sim.store, sim.faults, sim.callback_deliveries     # records, fault switches, delivery attempts

``optima_connectwise.simulator.testing.RunningSimulator(sim)`` does the serving and hands out httpx
clients that carry the right Authorization / clientId / Accept headers; ``python -m
optima_connectwise.simulator --port 8021 --scale 1`` serves one out of process. Seeding is deterministic
(``random.Random(seed)``, base date 2026-02-20T18:00:00Z): scale 1.0 is 40 members, 150 companies,
600 contacts, 300 configurations, ~800 catalog items, 250 opportunities and 200 tickets, built in
about 0.2 s. Catalog ids 3756 / 3757 / 3758 are "Labor & Installation - Field" / "- Tech" and
"SPECIAL ORDER"; opportunity statuses use the Optima workflow's ids (37 "00. Pending New" … 29 "95. Won").

Routes
    ``GET /login/companyinfo/{companyId}`` (no auth) and ``/{codebase}apis/3.0/…`` (also
    ``v4_6_release/``). Every API call needs ``Authorization: Basic base64("{companyId}+{public}:{private}")``
    and the ``clientId`` header (401 ``Unauthorized`` bodies otherwise) and answers ``api-current-version``.
    Collections: ``/system/members``, ``/system/callbacks``, ``/company/companies[/{id}/sites]``,
    ``/company/contacts``, ``/company/configurations``, ``/sales/opportunities`` (``/{id}/notes``,
    ``/{id}/contacts``, ``/{id}/forecast[/{itemId}]``), ``/sales/opportunities/statuses|types``,
    ``/sales/stages``, ``/sales/activities``, ``/service/tickets``, ``/procurement/products``,
    ``/procurement/catalog[/{id}/inventory]``, ``/procurement/categories|subcategories|manufacturers`` and
    the lookup tables (``/company/companies/statuses``, ``/service/boards``, …). Each has ``/count``, ``/{id}``,
    POST (201), PUT, PATCH (JSON Patch) and DELETE (204); the main ones have ``POST …/search``.
    Records omit null fields, as ConnectWise does; embedded references always show the current name.
    Write errors are 400 ``InvalidObject`` with ``errors`` entries coded ``NullOrEmptyField`` (required),
    ``MaxLengthField``, ``ObjectExists`` (duplicate identifier / callback), ``NotFound`` (a reference to
    a missing record, ``field: "company/id"``) or ``InvalidField``. Side effects follow ConnectWise: a new
    company gets a "Main" site, a product added to an opportunity gets a linked forecast item
    (``forecastDetailId``) kept in step with its quantity and price, a status with ``closedFlag`` closes
    the opportunity. PATCH paths must name an existing field exactly (case-sensitive) and references are
    replaced whole (``"path": "company", "value": {"id": 250}``; ``company/id`` is a 400).

Listing
    ``page`` (1-based) and ``pageSize`` (default 25, at most 1000, else 400 ``OutOfRange``) with a ``Link``
    header (``first``, ``prev`` unless on page 1, ``next`` unless on the last page, ``last``; absolute URLs).
    With ``pagination-type: forward-only``: ordered by id, ``pageId`` is the last id seen, ``orderBy`` is a
    400, and the ``Link`` header has only ``rel="next"`` (absent on the last page). ``orderBy=a/b asc, c desc``,
    ``fields=id,name,status/id``, ``conditions``, ``childConditions`` (fields inside lists, e.g.
    ``communicationItems/value``; any element may match) and ``customFieldConditions`` (evaluated per
    ``customFields`` entry: ``caption="Optima_Type" AND value="Quote Sent"``).

Conditions grammar (``conditions.py``)
    ``field op value`` joined by ``AND``/``OR`` with parentheses; keywords are case-insensitive.
    Operators ``= != < <= > >= contains like in``; negation is ``not like`` / ``not contains`` / ``not in``
    (``name not like "Acme*"``) or a prefix ``NOT`` before any factor (``NOT (status/id = 1)``).
    Values: ``"double-quoted"`` strings with ``\\"`` and ``\\\\`` escapes (compared case-insensitively;
    ``*`` or ``%`` wildcards for ``like``), bare integers and decimals, ``True``/``False``, ``null``
    (``= null`` / ``!= null``), datetimes in brackets ``[2026-02-20T18:04:26Z]`` (or ``[2026-02-20]``),
    and ``in (1,2,3)`` lists of one type. Fields are paths (``company/id``, ``status/name``,
    ``_info/lastUpdated``) and must exist on the record type (case-sensitive); a reference itself
    (``company``) cannot be compared. A missing field compares as SQL NULL (never matches). Anything
    malformed — unknown field, wrong value type (``id = "5"``, ``name = 5``, a quoted datetime),
    unterminated string, bad operator, trailing tokens — is a 400 ``InvalidObject`` whose message names the
    problem and its position.

Faults (``sim.faults`` or ``POST /__sim__/faults`` with a JSON object; ``GET`` shows, ``DELETE`` resets)
    ``error_rate`` (0..1; deterministic: a running total makes exactly that fraction of calls answer 500
    ``ConnectWiseApi``), ``error_burst`` (next N calls 500), ``latency`` (seconds added to each call),
    ``throttle_burst`` + ``retry_after`` (next N calls 429 with ``Retry-After`` and
    ``{"error":"ConnectWiseAPI","message":"Too many requests. Please try again in N seconds."}``),
    ``timeout`` + ``timeout_burst`` (next N calls — 1 if not given — hang that many seconds, ended early when
    the client disconnects), ``malformed`` (next N calls answer 200 with a truncated JSON body) and
    ``path_contains`` (limit faults to API paths containing the text). Faults apply to ``apis/3.0`` calls
    only, before authentication; each call consumes at most one burst (hang, throttle, error, malformed).
    Helpers: ``faults.throttle(n, retry_after)``, ``faults.fail(n)``, ``faults.hang(seconds, calls)``,
    ``faults.malform(n)``, ``faults.set(**settings)``, ``faults.reset()``.

Callbacks
    Registered with ``POST /system/callbacks`` (``url, objectId, type, level, description, inactiveFlag,
    isSelfSuppressedFlag``). Any change through the API or :meth:`ConnectWiseSimulator.touch` to a record
    whose type has callbacks (company, contact, configuration, opportunity, activity, ticket, member,
    productcatalog) is POSTed to each matching active callback: level ``owner`` = all records, level equal
    to the type = the record ``objectId``, another level (``status``, ``company``, ``board``, …) = records
    whose reference of that name has id ``objectId``. The body is ``{"MessageId", "FromUrl", "CompanyId",
    "MemberId", "Action": "added|updated|deleted", "Type", "ID", "ProductInstanceId": null,
    "PartnerId": null, "Entity": "<record as a JSON string>", "Metadata": {"key_url"},
    "CallbackObjectRecId"}``. Each delivery has a 5 s timeout and two retries after 2 s and 4 s
    (``callback_timeout`` / ``callback_retry_delays`` options); any 2xx is success. Attempts are listed in
    ``sim.callback_deliveries`` (and ``GET /__sim__/callbacks``). Not simulated: disabling a callback after
    three failing days. ``POST /__sim__/touch`` changes a record of an out-of-process simulator.
"""

from .callbacks import CallbackDelivery
from .credentials import SimulatorCredentials
from .errors import ConnectWiseError
from .faults import FaultControls, FaultSettings
from .simulator import ConnectWiseSimulator, create_connectwise_simulator

__all__ = [
    "CallbackDelivery",
    "ConnectWiseError",
    "ConnectWiseSimulator",
    "FaultControls",
    "FaultSettings",
    "SimulatorCredentials",
    "create_connectwise_simulator",
]
