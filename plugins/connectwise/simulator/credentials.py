"""The API member keys and integration clientId the simulated site accepts, and the header checks."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import ConnectWiseError, unauthorized

#: What ConnectWise answers when the ``Authorization`` header is missing or not Basic.
MISSING_AUTH_MESSAGE = "Authorization has been denied for this request."
#: What ConnectWise answers when the company, public key or private key is wrong.
BAD_KEYS_MESSAGE = "Incorrect public/private key"
#: What ConnectWise answers when the ``clientId`` header is absent.
MISSING_CLIENT_ID_MESSAGE = (
    "clientId header is required. Please see https://developer.connectwise.com/ClientID for more information."
)
#: What ConnectWise answers when the ``clientId`` header is not a registered integration.
BAD_CLIENT_ID_MESSAGE = (
    "clientId is not valid. Please see https://developer.connectwise.com/ClientID for more information."
)


@dataclass(frozen=True)
class SimulatorCredentials:
    """The site's company id, one API member's key pair, and the integration's clientId GUID."""

    company_id: str = "optima"
    public_key: str = "pub"
    private_key: str = "priv"
    client_id: str = "00000000-0000-4000-8000-000000000001"
    #: The API member the keys belong to: shown as ``_info.updatedBy`` and a callback's ``MemberId``.
    member_identifier: str = "OptimaAPI"

    def basic_authorization(self) -> str:
        """The ``Authorization`` header value a correct client sends."""
        raw = f"{self.company_id}+{self.public_key}:{self.private_key}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def check(self, headers: Mapping[str, str]) -> ConnectWiseError | None:
        """``None`` when ``headers`` (lower-cased names) authenticate, else the 401 to answer."""
        authorization = headers.get("authorization", "")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "basic" or not token.strip():
            return unauthorized(MISSING_AUTH_MESSAGE)
        try:
            decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return unauthorized(MISSING_AUTH_MESSAGE)
        user, sep, private_key = decoded.partition(":")
        company, plus, public_key = user.partition("+")
        if not sep or not plus:
            return unauthorized(BAD_KEYS_MESSAGE)
        if (
            company.lower() != self.company_id.lower()
            or public_key != self.public_key
            or private_key != self.private_key
        ):
            return unauthorized(BAD_KEYS_MESSAGE)
        client_id = headers.get("clientid", "").strip()
        if not client_id:
            return unauthorized(MISSING_CLIENT_ID_MESSAGE)
        if client_id.lower() != self.client_id.lower():
            return unauthorized(BAD_CLIENT_ID_MESSAGE)
        return None


__all__ = ["SimulatorCredentials"]
