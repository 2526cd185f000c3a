"""Encryption at rest: token format, binding to credential and field, tampering, key rotation, key config."""

from __future__ import annotations

import base64
import copy
import pickle
import re
from collections.abc import Callable

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from optima_credentials.crypto import (
    KEY_BYTES,
    DecryptionError,
    KeyConfigError,
    Keyring,
    generate_key,
)

TOKEN_RE = re.compile(r"v1:(?P<kid>[A-Za-z0-9_-]{1,32}):(?P<nonce>[A-Za-z0-9_-]{16}):(?P<body>[A-Za-z0-9_-]{22,})")
B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _material(key_string: str) -> str:
    return key_string.partition(":")[2]


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.fixture()
def key_old() -> str:
    return generate_key("old")


@pytest.fixture()
def key_new() -> str:
    return generate_key("new")


@pytest.fixture()
def ring(key_new: str) -> Keyring:
    return Keyring.from_strings([key_new])


@pytest.mark.parametrize(
    "plaintext",
    [
        "hunter2",
        "",
        " leading and trailing spaces ",
        "pässwörd 🔑 密码",
        "multi\nline\r\nsecret\t",
        "v1:looks:like:a:token",
        "x" * 10_000,
    ],
)
def test_round_trip(ring: Keyring, plaintext: str) -> None:
    token = ring.encrypt(plaintext, credential_id="cred1", field_id="password")
    assert ring.decrypt(token, credential_id="cred1", field_id="password") == plaintext


def test_token_format(ring: Keyring) -> None:
    plaintext = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    token = ring.encrypt(plaintext, credential_id="ckx1", field_id="secretAccessKey")
    match = TOKEN_RE.fullmatch(token)
    assert match is not None, token
    assert token.isascii()
    assert match["kid"] == "new"
    assert len(_unb64url(match["nonce"])) == 12
    assert len(_unb64url(match["body"])) == len(plaintext.encode()) + 16
    assert plaintext not in token
    assert "=" not in token


def _documented_aad(*parts: str) -> bytes:
    return b"".join(len(p.encode()).to_bytes(4, "big") + p.encode() for p in parts)


def test_format_matches_the_documentation() -> None:
    """Stored tokens outlive releases: an independent implementation of the documented format must agree."""
    key = bytes(range(32))
    ring = Keyring([("k1", key)])
    aad = _documented_aad("optima.credentials.field-value", "v1", "k1", "cred-1", "password")
    nonce = bytes(range(12))
    body = AESGCM(key).encrypt(nonce, b"hunter2", aad)
    nonce_text = base64.urlsafe_b64encode(nonce).rstrip(b"=").decode()
    body_text = base64.urlsafe_b64encode(body).rstrip(b"=").decode()
    assert ring.decrypt(f"v1:k1:{nonce_text}:{body_text}", credential_id="cred-1", field_id="password") == "hunter2"

    token = ring.encrypt("pässwörd", credential_id="cred-1", field_id="password")
    _, kid, nonce_part, body_part = token.split(":")
    assert kid == "k1"
    assert AESGCM(key).decrypt(_unb64url(nonce_part), _unb64url(body_part), aad) == "pässwörd".encode()
    other_kid_aad = _documented_aad("optima.credentials.field-value", "v1", "k2", "cred-1", "password")
    with pytest.raises(InvalidTag):
        AESGCM(key).decrypt(_unb64url(nonce_part), _unb64url(body_part), other_kid_aad)


def test_fresh_nonce_per_encryption(ring: Keyring) -> None:
    tokens = {ring.encrypt("same", credential_id="c", field_id="f") for _ in range(50)}
    assert len(tokens) == 50
    nonces = {TOKEN_RE.fullmatch(t)["nonce"] for t in tokens}  # type: ignore[index]
    assert len(nonces) == 50
    for token in tokens:
        assert ring.decrypt(token, credential_id="c", field_id="f") == "same"


@pytest.mark.parametrize(
    ("credential_id", "field_id"),
    [
        ("cred2", "password"),  # copied to another credential's row
        ("cred1", "apiKey"),  # copied to another field of the same credential
        ("cred2", "apiKey"),
        ("cred", "1password"),  # same concatenation "cred1password" must not collide
        ("cred1password", "x"),
        ("CRED1", "password"),
    ],
)
def test_token_bound_to_credential_and_field(ring: Keyring, credential_id: str, field_id: str) -> None:
    token = ring.encrypt("s3cret-value", credential_id="cred1", field_id="password")
    with pytest.raises(DecryptionError) as info:
        ring.decrypt(token, credential_id=credential_id, field_id=field_id)
    assert info.value.reason == "authentication"
    assert info.value.kid == "new"
    _assert_safe_message(info.value, token, "s3cret-value")


def _assert_safe_message(error: Exception, token: str, plaintext: str) -> None:
    for text in (str(error), repr(error)):
        assert plaintext not in text
        for part in token.split(":")[2:]:
            assert part not in text
    assert error.__cause__ is None
    assert error.__context__ is None


def _tampered_tokens(token: str) -> list[str]:
    """Every single-character substitution in the nonce and ciphertext parts."""
    version, kid, nonce, body = token.split(":")
    prefix = f"{version}:{kid}:"
    out = []
    payload = f"{nonce}:{body}"
    for index, char in enumerate(payload):
        if char == ":":
            continue
        replacement = B64URL[(B64URL.index(char) + 1) % 64]
        out.append(prefix + payload[:index] + replacement + payload[index + 1 :])
    return out


def test_every_single_character_tampering_fails(ring: Keyring) -> None:
    token = ring.encrypt("tamper-me", credential_id="c", field_id="f")
    tampered = _tampered_tokens(token)
    assert len(tampered) == len(token) - len("v1:new:") - 1
    for bad in tampered:
        with pytest.raises(DecryptionError) as info:
            ring.decrypt(bad, credential_id="c", field_id="f")
        assert info.value.reason in {"authentication", "malformed"}
        _assert_safe_message(info.value, bad, "tamper-me")


def test_non_canonical_base64_trailing_bits_refused(ring: Keyring) -> None:
    token = ring.encrypt("abc", credential_id="c", field_id="f")
    version, kid, nonce, body = token.split(":")
    # 19 bytes of ciphertext+tag encode to 26 chars; the last char carries 4 unused bits.
    assert len(body) % 4 == 2
    last = B64URL.index(body[-1])
    twin = B64URL[last ^ 0b0001]
    with pytest.raises(DecryptionError) as info:
        ring.decrypt(f"{version}:{kid}:{nonce}:{body[:-1]}{twin}", credential_id="c", field_id="f")
    assert info.value.reason == "malformed"


MALFORMED = {"malformed"}
ANY_FAILURE = {"malformed", "authentication"}


@pytest.mark.parametrize(
    ("mangle", "reasons"),
    [
        (lambda t: "", MALFORMED),
        (lambda t: "not a token", MALFORMED),
        (lambda t: t[:-1], ANY_FAILURE),  # may or may not leave non-canonical trailing bits
        (lambda t: t[:-20], MALFORMED),  # 15 bytes: shorter than a GCM tag
        (lambda t: t + "A", MALFORMED),  # impossible base64 length
        (lambda t: t + "AA", {"authentication"}),  # a canonical extra zero byte
        (lambda t: t + ":extra", MALFORMED),
        (lambda t: t.rsplit(":", 1)[0], MALFORMED),
        (lambda t: "v2" + t[2:], {"unsupported_version"}),
        (lambda t: "V1" + t[2:], {"unsupported_version"}),
        (lambda t: " " + t, {"unsupported_version"}),
        (lambda t: t + "\n", MALFORMED),
        (lambda t: t + "=", MALFORMED),
        (lambda t: t.replace(":new:", ":bad kid:"), MALFORMED),
        (lambda t: t.replace(":new:", "::"), MALFORMED),
        (lambda t: t[:-1] + "é", MALFORMED),
        (lambda t: ":".join([*t.split(":")[:2], "AAAA", t.split(":")[3]]), MALFORMED),  # 3-byte nonce
        (lambda t: ":".join([*t.split(":")[:3], "AAAAAAAA"]), MALFORMED),  # 6-byte body
    ],
)
def test_malformed_tokens(ring: Keyring, mangle: Callable[[str], str], reasons: set[str]) -> None:
    token = ring.encrypt("PLAINTEXT-XYZW", credential_id="c", field_id="f")
    assert len(token.split(":")[3]) == 40  # 14 + 16 bytes, no spare bits: the cases above rely on it
    bad = mangle(token)
    with pytest.raises(DecryptionError) as info:
        ring.decrypt(bad, credential_id="c", field_id="f")
    assert info.value.reason in reasons
    assert "PLAINTEXT" not in str(info.value)
    assert info.value.__context__ is None


@pytest.mark.parametrize("token", [None, 42, b"v1:new:AAAA:BBBB", ["v1"]])
def test_non_string_token_is_malformed(ring: Keyring, token: object) -> None:
    with pytest.raises(DecryptionError) as info:
        ring.decrypt(token, credential_id="c", field_id="f")  # type: ignore[arg-type]
    assert info.value.reason == "malformed"


def test_unknown_kid(key_old: str, key_new: str) -> None:
    old_ring = Keyring.from_strings([key_old])
    new_only = Keyring.from_strings([key_new])
    token = old_ring.encrypt("legacy", credential_id="c", field_id="f")
    with pytest.raises(DecryptionError) as info:
        new_only.decrypt(token, credential_id="c", field_id="f")
    assert info.value.reason == "unknown_key"
    assert info.value.kid == "old"
    assert "old" in str(info.value)
    _assert_safe_message(info.value, token, "legacy")


def test_same_kid_different_key_fails_authentication(key_new: str) -> None:
    impostor = Keyring.from_strings([generate_key("new")])
    token = Keyring.from_strings([key_new]).encrypt("v", credential_id="c", field_id="f")
    with pytest.raises(DecryptionError) as info:
        impostor.decrypt(token, credential_id="c", field_id="f")
    assert info.value.reason == "authentication"


def test_relabelled_kid_fails_even_when_both_keys_are_known(key_old: str, key_new: str) -> None:
    ring = Keyring.from_strings([key_new, key_old])
    token = ring.encrypt("v", credential_id="c", field_id="f")
    relabelled = token.replace("v1:new:", "v1:old:", 1)
    with pytest.raises(DecryptionError) as info:
        ring.decrypt(relabelled, credential_id="c", field_id="f")
    assert info.value.reason == "authentication"


def test_two_key_rotation(key_old: str, key_new: str) -> None:
    old_ring = Keyring.from_strings([key_old])
    legacy = old_ring.encrypt("legacy secret", credential_id="c1", field_id="pw")

    ring = Keyring.from_strings([key_new, key_old])
    assert ring.current_kid == "new"
    assert ring.kids == ("new", "old")
    assert ring.decrypt(legacy, credential_id="c1", field_id="pw") == "legacy secret"
    assert ring.key_id_of(legacy) == "old"
    assert ring.needs_rotation(legacy) is True

    fresh = ring.encrypt("new secret", credential_id="c1", field_id="pw")
    assert ring.key_id_of(fresh) == "new"
    assert ring.needs_rotation(fresh) is False

    rotated = ring.reencrypt(legacy, credential_id="c1", field_id="pw")
    assert ring.key_id_of(rotated) == "new"
    assert ring.needs_rotation(rotated) is False
    assert ring.decrypt(rotated, credential_id="c1", field_id="pw") == "legacy secret"
    with pytest.raises(DecryptionError):
        ring.reencrypt(legacy, credential_id="c2", field_id="pw")

    # The old deployment cannot read values written under the new key.
    with pytest.raises(DecryptionError) as info:
        old_ring.decrypt(fresh, credential_id="c1", field_id="pw")
    assert info.value.reason == "unknown_key"
    assert old_ring.needs_rotation(fresh) is True


def test_needs_rotation_and_key_id_of_on_bad_tokens(ring: Keyring) -> None:
    foreign = Keyring.from_strings([generate_key("gone")]).encrypt("v", credential_id="c", field_id="f")
    assert ring.key_id_of(foreign) == "gone"
    assert ring.needs_rotation(foreign) is True
    for bad in ("", "v1:new", "garbage", "v9:new:AAAAAAAAAAAAAAAA:AAAAAAAAAAAAAAAAAAAAAA"):
        with pytest.raises(DecryptionError):
            ring.needs_rotation(bad)
        with pytest.raises(DecryptionError):
            ring.key_id_of(bad)


def test_key_accepts_base64url_and_standard_base64() -> None:
    material = bytes([0xFB, 0xEF, 0xBE] * 10 + [1, 2])
    standard = base64.b64encode(material).decode()
    urlsafe = base64.urlsafe_b64encode(material).decode()
    assert "+" in standard and "-" in urlsafe
    forms = [
        f"k1:{standard}",
        f"k1:{standard.rstrip('=')}",
        f"k1:{urlsafe}",
        f"k1:{urlsafe.rstrip('=')}",
        f"  k1:{urlsafe.rstrip('=')}\n",
    ]
    rings = [Keyring.from_strings([form]) for form in forms]
    token = rings[0].encrypt("same key", credential_id="c", field_id="f")
    for other in rings[1:]:
        assert other.decrypt(token, credential_id="c", field_id="f") == "same key"


def test_direct_constructor_from_bytes() -> None:
    ring = Keyring([("a", bytes(range(32))), ("b", bytes(range(1, 33)))])
    assert ring.kids == ("a", "b")
    assert ring.decrypt(ring.encrypt("x", credential_id="c", field_id="f"), credential_id="c", field_id="f") == "x"


SECRET_32 = base64.b64encode(bytes(range(100, 132))).decode()
SECRET_31 = base64.urlsafe_b64encode(bytes(range(100, 131))).decode().rstrip("=")
SECRET_33 = base64.b64encode(bytes(range(100, 133))).decode()
ZEROS = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    ("keys", "secret", "expected"),
    [
        ([], None, "No credential encryption keys"),
        (f"k1:{SECRET_32}", SECRET_32, "list"),
        ([42], None, "Key #1"),
        ([SECRET_32], SECRET_32, "no ':' found"),
        ([f"bad kid:{SECRET_32}"], SECRET_32, "key id must be"),
        ([f":{SECRET_32}"], SECRET_32, "key id must be"),
        ([f"{'k' * 33}:{SECRET_32}"], SECRET_32, "key id must be"),
        ([f"{SECRET_32}:k1"], SECRET_32, "key id must be"),
        (["k1:"], None, "not valid base64"),
        ([f"k1:{SECRET_32[:20]}!{SECRET_32[21:]}"], SECRET_32[:20], "not valid base64"),
        ([f"k1:{SECRET_32[:-1]}*"], SECRET_32[:-1], "not valid base64"),
        ([f"k1:{SECRET_32} x"], SECRET_32, "not valid base64"),
        ([f"k1:{SECRET_31}"], SECRET_31, "exactly 32 bytes, got 31"),
        ([f"k1:{SECRET_33}"], SECRET_33, "exactly 32 bytes, got 33"),
        ([f"k1:{ZEROS}"], ZEROS, "repeated single byte"),
        ([generate_key("k1"), f"k1:{SECRET_32}"], SECRET_32, "Key #2: key id 'k1' is configured more than once"),
        ([f"a:{SECRET_32}", f"b:{SECRET_32}"], SECRET_32, "Key #2 ('b'): same key material"),
    ],
)
def test_key_config_errors_do_not_leak(keys: object, secret: str | None, expected: str) -> None:
    with pytest.raises(KeyConfigError) as info:
        Keyring.from_strings(keys)  # type: ignore[arg-type]
    error = info.value
    assert expected in str(error)
    assert error.__cause__ is None and error.__context__ is None
    if secret is not None:
        assert secret not in str(error)
        assert secret not in repr(error)
        assert secret[:12] not in str(error)


@pytest.mark.parametrize(
    "keys",
    [
        [("k", b"short")],
        [("bad kid", bytes(range(32)))],
        [("k", "not bytes")],
        [("k",)],
        [],
        b"raw",
    ],
)
def test_direct_constructor_validates(keys: object) -> None:
    with pytest.raises(KeyConfigError):
        Keyring(keys)  # type: ignore[arg-type]


def test_repr_and_str_hide_key_material(key_old: str, key_new: str) -> None:
    ring = Keyring.from_strings([key_new, key_old])
    raw = [_unb64url(_material(k)) for k in (key_new, key_old)]
    for text in (repr(ring), str(ring), f"{ring}"):
        assert text == "Keyring(current='new', kids=['new', 'old'])"
        for key_string, key_bytes in zip((key_new, key_old), raw, strict=True):
            assert _material(key_string) not in text
            assert key_bytes.hex() not in text
    assert not hasattr(ring, "__dict__")


def test_keyring_cannot_be_pickled_or_copied(ring: Keyring) -> None:
    with pytest.raises(TypeError):
        pickle.dumps(ring)
    with pytest.raises(TypeError):
        copy.copy(ring)
    with pytest.raises(TypeError):
        copy.deepcopy(ring)


def test_generate_key() -> None:
    first = generate_key()
    second = generate_key()
    assert first != second
    kid, _, material = first.partition(":")
    assert re.fullmatch(r"k\d{8}-[0-9a-f]{6}", kid)
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", material)
    assert len(_unb64url(material)) == KEY_BYTES
    assert generate_key("prod-2026").startswith("prod-2026:")
    ring = Keyring.from_strings([first, second])
    assert ring.kids == (kid, second.partition(":")[0])


@pytest.mark.parametrize("kid", ["", "has space", "x" * 33, "colon:kid", "ünï"])
def test_generate_key_refuses_bad_kid(kid: str) -> None:
    with pytest.raises(KeyConfigError):
        generate_key(kid)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"plaintext": b"bytes", "credential_id": "c", "field_id": "f"}, TypeError),
        ({"plaintext": "bad\ud800surrogate", "credential_id": "c", "field_id": "f"}, ValueError),
        ({"plaintext": "x", "credential_id": "", "field_id": "f"}, ValueError),
        ({"plaintext": "x", "credential_id": "c", "field_id": ""}, ValueError),
        ({"plaintext": "x", "credential_id": None, "field_id": "f"}, ValueError),
        ({"plaintext": "x", "credential_id": "c\udcff", "field_id": "f"}, ValueError),
    ],
)
def test_encrypt_argument_errors(ring: Keyring, kwargs: dict[str, object], error: type[Exception]) -> None:
    plaintext = kwargs.pop("plaintext")
    with pytest.raises(error) as info:
        ring.encrypt(plaintext, **kwargs)  # type: ignore[arg-type]
    assert "surrogate" not in str(info.value)


def test_decrypt_requires_ids(ring: Keyring) -> None:
    token = ring.encrypt("x", credential_id="c", field_id="f")
    with pytest.raises(ValueError):
        ring.decrypt(token, credential_id="", field_id="f")
    with pytest.raises(ValueError):
        ring.decrypt(token, credential_id="c", field_id="")
