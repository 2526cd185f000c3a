"""Encryption at rest for secure credential field values (AES-256-GCM under a keyring).

Key configuration
    Each configured key is one string ``<kid>:<key>``:

    - ``kid`` is the key id, 1 to 32 characters of ``A-Z a-z 0-9 _ -``. It is stored in every token the
      key produces, so it must never be reused for different key material.
    - ``key`` is exactly 32 random bytes encoded as base64url or standard base64; ``=`` padding is
      optional. Surrounding whitespace of the whole string is ignored.

    Shape: ``k20260101-3fa9c2:<43 base64url characters>``; create real ones with :func:`generate_key`
    (never copy a key out of documentation). Several keys may be configured: the FIRST encrypts every
    new value, all of them decrypt. To rotate, put a new key first, keep the old ones after it,
    re-encrypt (:meth:`Keyring.reencrypt`) the values :meth:`Keyring.needs_rotation` reports, then drop
    the old key. A key that is a single repeated byte, or the same bytes as another configured key, is
    refused.

Token format (what the database stores for a secure value)
    ``v1:<kid>:<nonce>:<ciphertext>``, pure ASCII, where ``nonce`` is the 12-byte random GCM nonce and
    ``ciphertext`` is the AES-256-GCM ciphertext followed by its 16-byte tag, both base64url without
    padding. A fresh nonce is drawn from ``os.urandom`` for every encryption, so equal plaintexts give
    different tokens (secure values cannot be searched or compared in the database). A token is
    ``len("v1:<kid>:") + 17 + ceil((utf8_bytes + 16) * 4 / 3)`` characters: store it as text.

Associated data
    Every token is authenticated together with, in this order, the purpose label
    ``optima.credentials.field-value``, the format version ``v1``, the kid, the credential id and the
    field id (for a sub-credential's values, the sub-credential's own id). Each part is UTF-8 encoded
    and prefixed by its byte length as a 4-byte big-endian integer, so no two different tuples produce
    the same bytes. A token copied to another credential or field, relabelled with another kid or
    altered in any byte fails authentication.

Errors
    :class:`KeyConfigError` for bad key configuration and :class:`DecryptionError` for any token that
    cannot be decrypted. Their messages never contain key material, plaintext or ciphertext.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import secrets
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Final, Literal, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "KEY_BYTES",
    "KID_PATTERN",
    "NONCE_BYTES",
    "TOKEN_VERSION",
    "DecryptionError",
    "KeyConfigError",
    "Keyring",
    "generate_key",
]

TOKEN_VERSION: Final = "v1"
KEY_BYTES: Final = 32
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
KID_PATTERN: Final = re.compile(r"[A-Za-z0-9_-]{1,32}")
AAD_LABEL: Final = "optima.credentials.field-value"

_B64URL_CHARS = re.compile(r"[A-Za-z0-9_-]*")
_KEY_CHARS = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")

DecryptionReason = Literal["malformed", "unsupported_version", "unknown_key", "authentication"]


class KeyConfigError(ValueError):
    """The configured encryption keys are unusable; the message names keys by position and kid only."""


class DecryptionError(Exception):
    """A token could not be decrypted.

    ``reason`` is one of ``malformed``, ``unsupported_version``, ``unknown_key`` or ``authentication``
    (the token belongs to another credential or field, or was altered); ``kid`` is the token's key id
    when it could be read. The message is short and never contains key, plaintext or ciphertext.
    """

    def __init__(self, message: str, *, reason: DecryptionReason, kid: str | None = None) -> None:
        super().__init__(message)
        self.reason: DecryptionReason = reason
        self.kid = kid


def _b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode_canonical(text: str) -> bytes | None:
    """Strictly decode unpadded base64url; None unless ``text`` is the one canonical encoding."""
    if not _B64URL_CHARS.fullmatch(text) or len(text) % 4 == 1:
        return None
    try:
        data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    # Non-zero trailing bits decode to the same bytes; refusing them makes every character significant.
    if _b64url_encode(data) != text:
        return None
    return data


def _decode_key_material(text: str) -> bytes | None:
    """Decode base64url or standard base64 (padding optional); None when it is not valid base64."""
    if not _KEY_CHARS.fullmatch(text):
        return None
    body = text.rstrip("=").replace("-", "+").replace("_", "/")
    if len(body) % 4 == 1:
        return None
    try:
        return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def _require_id(value: object, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string")
    if not _is_utf8_encodable(value):
        raise ValueError(f"{name} must be valid Unicode text")
    return value


def _is_utf8_encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _associated_data(kid: str, credential_id: str, field_id: str) -> bytes:
    parts = (AAD_LABEL, TOKEN_VERSION, kid, credential_id, field_id)
    out = bytearray()
    for part in parts:
        encoded = part.encode("utf-8")
        out += len(encoded).to_bytes(4, "big")
        out += encoded
    return bytes(out)


def _fail(message: str, reason: DecryptionReason, kid: str | None = None) -> NoReturn:
    raise DecryptionError(message, reason=reason, kid=kid)


def _parse_token(token: object) -> tuple[str, bytes, bytes]:
    """Split a token into (kid, nonce, ciphertext-with-tag), or raise DecryptionError."""
    if not isinstance(token, str) or not token.isascii():
        _fail("Malformed encrypted value", "malformed")
    parts = token.split(":")
    if len(parts) != 4:
        _fail("Malformed encrypted value", "malformed")
    version, kid, nonce_text, body_text = parts
    if version != TOKEN_VERSION:
        _fail("Unsupported encrypted value version", "unsupported_version")
    if not KID_PATTERN.fullmatch(kid):
        _fail("Malformed encrypted value", "malformed")
    nonce = _b64url_decode_canonical(nonce_text)
    body = _b64url_decode_canonical(body_text)
    if nonce is None or body is None or len(nonce) != NONCE_BYTES or len(body) < TAG_BYTES:
        _fail("Malformed encrypted value", "malformed", kid)
    return kid, nonce, body


def generate_key(kid: str | None = None) -> str:
    """Return a new key configuration string ``<kid>:<base64url of 32 random bytes>``.

    Without ``kid`` one is made from today's UTC date and a random suffix, e.g. ``k20261203-9f3a1c``.
    """
    if kid is None:
        kid = f"k{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(3)}"
    elif not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise KeyConfigError("Key id must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'")
    return f"{kid}:{_b64url_encode(os.urandom(KEY_BYTES))}"


class Keyring:
    """The configured AES-256-GCM keys: the first encrypts, every key decrypts.

    Build it with :meth:`from_strings`. The object never shows key material: its ``repr`` lists key ids
    only, it keeps no raw key bytes, and it refuses to be pickled or copied.
    """

    __slots__ = ("_ciphers", "_current")

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        """Build a keyring from ``(kid, 32 key bytes)`` pairs, current key first; see :meth:`from_strings`."""
        if isinstance(keys, str | bytes) or not keys:
            raise KeyConfigError("No credential encryption keys configured")
        ciphers: dict[str, AESGCM] = {}
        seen_material: list[bytes] = []
        for position, pair in enumerate(keys, start=1):
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise KeyConfigError(f"Key #{position}: expected a (kid, key bytes) pair")
            kid, material = pair
            _check_key(position, kid, material, ciphers, seen_material)
            ciphers[kid] = AESGCM(material)
            seen_material.append(material)
        self._ciphers: dict[str, AESGCM] = ciphers
        self._current: str = next(iter(ciphers))

    @classmethod
    def from_strings(cls, keys: Iterable[str]) -> Keyring:
        """Build a keyring from ``<kid>:<base64 key>`` strings (see the module docstring), current first.

        Raises :class:`KeyConfigError` naming the offending key by position (and kid when valid).
        """
        if isinstance(keys, str | bytes):
            raise KeyConfigError("Keys must be given as a list of '<kid>:<key>' strings, not one string")
        pairs: list[tuple[str, bytes]] = []
        for position, entry in enumerate(keys, start=1):
            pairs.append(_parse_key_string(position, entry))
        return cls(pairs)

    @property
    def current_kid(self) -> str:
        """The key id new values are encrypted under."""
        return self._current

    @property
    def kids(self) -> tuple[str, ...]:
        """All configured key ids, current first."""
        return tuple(self._ciphers)

    def encrypt(self, plaintext: str, *, credential_id: str, field_id: str) -> str:
        """Encrypt ``plaintext`` for one field of one credential under the current key; return a token."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be a str")
        if not _is_utf8_encodable(plaintext):
            raise ValueError("plaintext must be valid Unicode text")
        credential_id = _require_id(credential_id, "credential_id")
        field_id = _require_id(field_id, "field_id")
        kid = self._current
        nonce = os.urandom(NONCE_BYTES)
        body = self._ciphers[kid].encrypt(
            nonce, plaintext.encode("utf-8"), _associated_data(kid, credential_id, field_id)
        )
        return f"{TOKEN_VERSION}:{kid}:{_b64url_encode(nonce)}:{_b64url_encode(body)}"

    def decrypt(self, token: str, *, credential_id: str, field_id: str) -> str:
        """Decrypt a token made by :meth:`encrypt` for the same credential id and field id.

        Raises :class:`DecryptionError` for a malformed token, an unknown key id, or a token that fails
        authentication (another credential's or field's value, or altered).
        """
        credential_id = _require_id(credential_id, "credential_id")
        field_id = _require_id(field_id, "field_id")
        kid, nonce, body = _parse_token(token)
        cipher = self._ciphers.get(kid)
        if cipher is None:
            _fail(f"Encrypted value uses unknown key id '{kid}'", "unknown_key", kid)
        plaintext = _open(cipher, nonce, body, _associated_data(kid, credential_id, field_id))
        if plaintext is None:
            _fail("Encrypted value failed authentication", "authentication", kid)
        return plaintext

    def key_id_of(self, token: str) -> str:
        """The key id a token was encrypted under (configured or not); DecryptionError when malformed."""
        return _parse_token(token)[0]

    def needs_rotation(self, token: str) -> bool:
        """True when the token was encrypted under a key other than the current one (configured or not)."""
        return self.key_id_of(token) != self._current

    def reencrypt(self, token: str, *, credential_id: str, field_id: str) -> str:
        """Decrypt a token and encrypt its plaintext again under the current key with a fresh nonce."""
        plaintext = self.decrypt(token, credential_id=credential_id, field_id=field_id)
        return self.encrypt(plaintext, credential_id=credential_id, field_id=field_id)

    def __repr__(self) -> str:
        return f"Keyring(current={self._current!r}, kids={list(self._ciphers)!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("Keyring holds secret keys and cannot be pickled or copied")


def _open(cipher: AESGCM, nonce: bytes, body: bytes, aad: bytes) -> str | None:
    """Authenticate and decrypt; None on any failure, raised by the caller outside this except block."""
    try:
        data = cipher.decrypt(nonce, body, aad)
    except InvalidTag:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _parse_key_string(position: int, entry: object) -> tuple[str, bytes]:
    if not isinstance(entry, str):
        raise KeyConfigError(f"Key #{position}: expected a '<kid>:<key>' string")
    kid, sep, encoded = entry.strip().partition(":")
    if not sep:
        raise KeyConfigError(f"Key #{position}: expected '<kid>:<key>' (no ':' found)")
    if not KID_PATTERN.fullmatch(kid):
        raise KeyConfigError(f"Key #{position}: key id must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'")
    material = _decode_key_material(encoded)
    if material is None:
        raise KeyConfigError(f"Key #{position} ('{kid}'): key is not valid base64 or base64url")
    return kid, material


def _check_key(position: int, kid: object, material: object, ciphers: dict[str, AESGCM], seen: list[bytes]) -> None:
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise KeyConfigError(f"Key #{position}: key id must be 1-32 characters of A-Z, a-z, 0-9, '_' or '-'")
    if kid in ciphers:
        raise KeyConfigError(f"Key #{position}: key id '{kid}' is configured more than once")
    if not isinstance(material, bytes):
        raise KeyConfigError(f"Key #{position} ('{kid}'): key material must be bytes")
    if len(material) != KEY_BYTES:
        raise KeyConfigError(f"Key #{position} ('{kid}'): key must be exactly {KEY_BYTES} bytes, got {len(material)}")
    if len(set(material)) == 1:
        raise KeyConfigError(f"Key #{position} ('{kid}'): key is a repeated single byte, not a random key")
    if material in seen:
        raise KeyConfigError(f"Key #{position} ('{kid}'): same key material as an earlier key")
