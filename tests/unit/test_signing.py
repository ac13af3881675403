"""Unit tests for ledger.integrity.signing: RFC 8785 canonical bytes, ids, Ed25519 sign and verify.

The known answers come from the RFCs themselves (RFC 8785 §3.2.2, §3.2.3 and
Appendix B; RFC 8032 §7.1), so a change of library cannot silently change
what is signed.
"""

from __future__ import annotations

import hashlib
import json
import struct

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from tally.ledger.errors import SignatureError
from tally.ledger.integrity import signing

# --- RFC 8785 (JCS) known answers ---------------------------------------------------------

# RFC 8785 §3.2.2: the input as printed in the RFC, parsed by an ordinary JSON parser.
RFC8785_INPUT = r"""{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}"""
RFC8785_OUTPUT = (
    '{"literals":[null,true,false],'
    '"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],'
    '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}'
)

# RFC 8785 §3.2.3: properties are sorted by their UTF-16 code units, so the emoji
# (a surrogate pair starting 0xD83D) sorts before U+FB33.
RFC8785_SORTING_INPUT = r"""{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}"""
RFC8785_SORTED_VALUES = [
    "Carriage Return",
    "One",
    "Control",
    "Latin Small Letter O With Diaeresis",
    "Euro Sign",
    "Emoji: Grinning Face",
    "Hebrew Letter Dalet With Dagesh",
]
# The first bytes of the RFC's hex dump of the sorted output: "\r" escaped, U+0080 raw.
RFC8785_SORTING_PREFIX = bytes.fromhex(
    "7b225c72223a224361727269616765205265747572" "6e222c2231223a224f6e65222c22c280223a22"
)

# RFC 8785 Appendix B: IEEE 754 bit patterns and their JSON serialisation.
RFC8785_NUMBERS = [
    ("0000000000000000", "0"),
    ("8000000000000000", "0"),
    ("0000000000000001", "5e-324"),
    ("8000000000000001", "-5e-324"),
    ("7fefffffffffffff", "1.7976931348623157e+308"),
    ("ffefffffffffffff", "-1.7976931348623157e+308"),
    ("4340000000000000", "9007199254740992"),
    ("c340000000000000", "-9007199254740992"),
    ("4430000000000000", "295147905179352830000"),
    ("44b52d02c7e14af5", "9.999999999999997e+22"),
    ("44b52d02c7e14af6", "1e+23"),
    ("44b52d02c7e14af7", "1.0000000000000001e+23"),
    ("444b1ae4d6e2ef4e", "999999999999999700000"),
    ("444b1ae4d6e2ef4f", "999999999999999900000"),
    ("444b1ae4d6e2ef50", "1e+21"),
    ("3eb0c6f7a0b5ed8c", "9.999999999999997e-7"),
    ("3eb0c6f7a0b5ed8d", "0.000001"),
    ("41b3de4355555553", "333333333.3333332"),
    ("41b3de4355555554", "333333333.33333325"),
    ("41b3de4355555555", "333333333.3333333"),
    ("41b3de4355555556", "333333333.3333334"),
    ("41b3de4355555557", "333333333.33333343"),
    ("becbf647612f3696", "-0.0000033333333333333333"),
    ("43143ff3c1cb0959", "1424953923781206.2"),
]


def test_canonical_matches_the_rfc8785_example() -> None:
    assert signing.canonical(json.loads(RFC8785_INPUT)) == RFC8785_OUTPUT


def test_canonical_sorts_keys_by_utf16_code_units() -> None:
    text = signing.canonical(json.loads(RFC8785_SORTING_INPUT))
    assert list(json.loads(text).values()) == RFC8785_SORTED_VALUES
    assert text.encode("utf-8").startswith(RFC8785_SORTING_PREFIX)


@pytest.mark.parametrize(("bits", "expected"), RFC8785_NUMBERS)
def test_canonical_numbers_match_rfc8785_appendix_b(bits: str, expected: str) -> None:
    (number,) = struct.unpack(">d", bytes.fromhex(bits))
    assert signing.canonical({"n": number}) == '{"n":' + expected + "}"


@pytest.mark.parametrize("number", [float("nan"), float("inf"), float("-inf")])
def test_canonical_refuses_numbers_json_cannot_hold(number: float) -> None:
    with pytest.raises(Exception):  # noqa: B017 - rfc8785 raises its own error type
        signing.canonical({"n": number})


def test_canonical_escapes_only_what_jcs_requires() -> None:
    text = signing.canonical({"s": "tab\there \x1f é € 😀 </script> \u2028"})
    assert text == '{"s":"tab\\there \\u001f é € 😀 </script> \u2028"}'


def test_canonical_is_independent_of_insertion_order_and_whitespace() -> None:
    a = {"figure": "izium/bodies", "value": "447", "via": ["a", "b"], "url": None}
    b = dict(reversed(list(a.items())))
    assert signing.canonical(a) == signing.canonical(b)
    assert signing.canonical(a) == (
        '{"figure":"izium/bodies","url":null,"value":"447","via":["a","b"]}'
    )
    assert signing.canonical(json.loads(json.dumps(a, indent=4))) == signing.canonical(a)


def test_nested_objects_are_sorted_too() -> None:
    assert signing.canonical({"b": {"z": 1, "a": [{"y": 2, "x": 1}]}, "a": 0}) == (
        '{"a":0,"b":{"a":[{"x":1,"y":2}],"z":1}}'
    )


# --- ids ---------------------------------------------------------------------------------


def test_body_id_is_the_first_128_bits_of_sha256() -> None:
    assert signing.body_id("") == "e3b0c44298fc1c149afbf4c8996fb924"
    text = signing.canonical({"type": "claim", "value": "447"})
    assert signing.body_id(text) == hashlib.sha256(text.encode()).hexdigest()[:32]
    assert signing.body_uuid(text).hex == signing.body_id(text)


def test_body_id_changes_with_any_byte() -> None:
    a = signing.canonical({"value": "447"})
    b = signing.canonical({"value": "449"})
    assert signing.body_id(a) != signing.body_id(b)


def test_key_id_is_the_first_64_bits_of_sha256_of_the_raw_key() -> None:
    public = bytes.fromhex(RFC8032_1[1])
    assert signing.key_id(public) == hashlib.sha256(public).hexdigest()[:16]
    assert len(signing.key_id(public)) == 16


# --- Ed25519 (RFC 8032 §7.1 test vectors 1 and 2) --------------------------------------------

RFC8032_1 = (
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
    "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
    "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555"
    "fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
)
RFC8032_2 = (
    "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
    "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
    "r",  # the message is the single byte 0x72
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
    "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
)


@pytest.mark.parametrize("vector", [RFC8032_1, RFC8032_2])
def test_sign_matches_rfc8032(vector: tuple[str, str, str, str]) -> None:
    secret, public, message, signature = vector
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(secret))
    assert signing.public_bytes(key).hex() == public
    assert signing.sign(key, message) == signature
    signing.check_signature(bytes.fromhex(public), message, signature)


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_sign_then_verify(key: Ed25519PrivateKey) -> None:
    body = signing.canonical({"type": "claim", "value": "447", "ledger": "ab" * 16})
    signature = signing.sign(key, body)
    assert len(signature) == 128
    signing.check_signature(signing.public_bytes(key), body, signature)


def test_a_tampered_body_is_refused(key: Ed25519PrivateKey) -> None:
    body = signing.canonical({"type": "claim", "value": "447"})
    signature = signing.sign(key, body)
    tampered = signing.canonical({"type": "claim", "value": "449"})
    with pytest.raises(SignatureError, match="does not verify"):
        signing.check_signature(signing.public_bytes(key), tampered, signature)


def test_non_canonical_text_of_the_same_body_is_refused(key: Ed25519PrivateKey) -> None:
    body = {"type": "claim", "value": "447"}
    signature = signing.sign(key, signing.canonical(body))
    with pytest.raises(SignatureError):
        signing.check_signature(signing.public_bytes(key), json.dumps(body), signature)


@pytest.mark.parametrize("position", [0, 31, 32, 63])
def test_a_tampered_signature_is_refused(key: Ed25519PrivateKey, position: int) -> None:
    body = signing.canonical({"type": "claim"})
    raw = bytearray(bytes.fromhex(signing.sign(key, body)))
    raw[position] ^= 0x01
    with pytest.raises(SignatureError) as caught:
        signing.check_signature(signing.public_bytes(key), body, raw.hex())
    assert caught.value.field == "signature"


def test_another_keys_signature_is_refused(key: Ed25519PrivateKey) -> None:
    body = signing.canonical({"type": "claim"})
    other = Ed25519PrivateKey.generate()
    with pytest.raises(SignatureError):
        signing.check_signature(signing.public_bytes(other), body, signing.sign(key, body))


@pytest.mark.parametrize(
    ("signature", "why"),
    [("zz" * 64, "not hexadecimal"), ("ab" * 63, "64 bytes"), ("", "64 bytes")],
)
def test_malformed_signatures_are_refused(key: Ed25519PrivateKey, signature: str, why: str) -> None:
    with pytest.raises(SignatureError, match=why):
        signing.check_signature(signing.public_bytes(key), "{}", signature)


def test_parse_public_key() -> None:
    public = bytes.fromhex(RFC8032_1[1])
    assert signing.parse_public_key(f"  {RFC8032_1[1]}\n") == public
    with pytest.raises(SignatureError) as caught:
        signing.parse_public_key("ab" * 31)
    assert caught.value.field == "key"
    with pytest.raises(SignatureError, match="not hexadecimal"):
        signing.parse_public_key("not hex")


@given(st.text("0123456789abcdef", min_size=32, max_size=32),
       st.text("0123456789abcdefg-%_A", max_size=6))
def test_an_id_is_in_a_prefix_range_exactly_when_it_starts_with_the_prefix(
        ident: str, prefix: str) -> None:
    bounds = signing.id_prefix_range(prefix)
    inside = bounds is not None and bounds[0] <= ident < bounds[1]
    assert inside == ident.startswith(prefix)
