"""`signing.canonical` (a fast path over the C JSON encoder) is byte-identical to rfc8785.dumps.

The fast path is only allowed because of this test: for every body the ledger can
build (claims, corrections, retractions, genesis, signers, revocations, Merkle
leaves) and for arbitrary JSON-like values, both give the same bytes, or both
refuse the input with the same error.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

import rfc8785
from budgets import examples
from hypothesis import given, settings
from hypothesis import strategies as st

from tally.ledger.integrity import disclosure, signing
from tally.ledger.integrity.envelope import Stored, format_time, leaf_from, version_of
from tally.ledger.model.statements import (
    ClaimCorrected,
    ClaimRecorded,
    ClaimRetracted,
    FigureDefined,
    LedgerCreated,
    SignerAdded,
    SignerRevoked,
    SourceRegistered,
)

# Every code point, lone surrogates included (the CLI can pass them through argv).
ANY_CHAR = st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=())
TEXT = st.text(ANY_CHAR, max_size=40)
# Edge characters: controls, quote, backslash, DEL, line separators, BMP vs astral.
TRICKY = st.text(st.sampled_from(
    ["\x00", "\x01", "\x08", "\t", "\n", "\x0b", "\x0c", "\r", "\x1f", " ", '"', "\\", "/",
     "\x7f", "\x80", "\u2028", "\u2029", "\ud800", "\udfff", "\ue000", "\uffff", "é",
     "\U0001f600", "\U0010ffff", "a", "Z", "0"]), max_size=20)
STRINGS = TEXT | TRICKY
VALID = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)  # what a body holds
HEX = st.text("0123456789abcdef", min_size=16, max_size=16)
NUMBERS = (st.integers() | st.integers(-(2**53) - 2, 2**53 + 2)
           | st.floats(allow_nan=True, allow_infinity=True))
SCALARS = st.none() | st.booleans() | NUMBERS | STRINGS
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner)
    | st.dictionaries(STRINGS, inner, max_size=4),
    max_leaves=20,
)


def outcome(fn: Any, value: Any) -> tuple[str, Any]:
    try:
        result = fn(value)
    except Exception as e:
        return "refused", type(e)
    return "ok", result.encode("utf-8") if isinstance(result, str) else result


def same(value: dict[str, Any]) -> None:
    assert outcome(signing.canonical, value) == outcome(rfc8785.dumps, value)


@settings(max_examples=examples(500))
@given(st.dictionaries(STRINGS, JSON, max_size=8))
def test_any_json_object_is_canonicalised_as_rfc8785_does(value: dict[str, Any]) -> None:
    same(value)


@settings(max_examples=examples(300))
@given(st.dictionaries(
    st.text(st.sampled_from(["a", "é", "\ud7ff", "\ue000", "\uffff", "\U00010000",
                             "\U0001f600"]), max_size=2) | st.text(ANY_CHAR, max_size=3),
    st.integers(0, 3), min_size=2, max_size=8))
def test_keys_sort_as_utf16_code_units(value: dict[str, Any]) -> None:
    same(value)


OPTIONAL = st.none() | STRINGS


def shape(model: Any, **fields: Any) -> dict[str, Any]:
    """A statement's dict as the body builders produce it, for any text (no validation).

    Every statement must take the fast path: the differential checks below would pass
    vacuously for a body that always fell back to rfc8785 itself."""
    body = dict(model.model_construct(**fields).model_dump(warnings=False))
    assert signing._jcs_plain(body), "a statement body left the fast path"
    return body


@settings(max_examples=examples(300))
@given(ledger=st.text("0123456789abcdef", min_size=32, max_size=32), signer=HEX,
       figure=STRINGS, value=STRINGS, as_of=STRINGS, source=STRINGS,
       via=st.lists(STRINGS, max_size=3), url=OPTIONAL, published=OPTIONAL, quote=OPTIONAL,
       sha=OPTIONAL)
def test_every_claim_body(ledger: str, signer: str, figure: str, value: str, as_of: str,
                          source: str, via: list[str], url: str | None, published: str | None,
                          quote: str | None, sha: str | None) -> None:
    same(shape(ClaimRecorded, ledger=ledger, signer=signer, figure=figure, value=value,
               as_of=as_of, source=source, via=via, url=url, published=published, quote=quote,
               document_sha256=sha))


@settings(max_examples=examples(200))
@given(ledger=HEX, signer=HEX, claim=STRINGS, value=STRINGS, reason=STRINGS)
def test_every_followup_body(ledger: str, signer: str, claim: str, value: str,
                             reason: str) -> None:
    same(shape(ClaimCorrected, ledger=ledger, signer=signer, claim=claim, value=value,
               reason=reason))
    same(shape(ClaimRetracted, ledger=ledger, signer=signer, claim=claim, reason=reason))


@settings(max_examples=examples(200))
@given(ledger=HEX, origin=STRINGS, key=HEX, name=STRINGS, role=STRINGS, reason=STRINGS,
       parts=st.lists(STRINGS, max_size=3), flag=st.booleans())
def test_every_registration_body(ledger: str, origin: str, key: str, name: str, role: str,
                                 reason: str, parts: list[str], flag: bool) -> None:
    same(shape(LedgerCreated, ledger=ledger, signer=key, origin=origin,
               operator_public_key=key))
    same(shape(SignerAdded, ledger=ledger, signer=key, key_id=key, public_key=key, name=name,
               role=role))
    same(shape(SignerRevoked, ledger=ledger, signer=key, key_id=key, reason=reason))
    same(shape(SourceRegistered, ledger=ledger, signer=key, id=name, name=origin, kind=role,
               key_id=None))
    same(shape(FigureDefined, ledger=ledger, signer=key, id=name, kind=role, unit=origin,
               cumulative=flag, parts=parts, tolerance=reason, states=parts))


@settings(max_examples=examples(300))
@given(ident=STRINGS, version=st.integers(1, 2**60), topic=STRINGS, body=STRINGS,
       signature=st.text("0123456789abcdef", min_size=128, max_size=128),
       recorded=st.datetimes(timezones=st.just(dt.UTC)), state=st.binary(max_size=64))
def test_merkle_leaf_bytes_are_canonical(ident: str, version: int, topic: str, body: str,
                                         signature: str, recorded: dt.datetime,
                                         state: bytes) -> None:
    """`envelope.leaf_from` writes its keys itself: the same bytes as rfc8785 (or refused)."""
    digest = hashlib.sha256(state).hexdigest()
    stored = Stored(body, signature, recorded)
    expected = {"body": body, "id": ident, "recorded": format_time(recorded),
                "signature": signature, "state_sha256": digest, "type": topic,
                "v": version_of(topic, body), "version": version}
    leaf = outcome(lambda _: leaf_from(topic, ident, version, stored, digest), None)
    canonical = outcome(rfc8785.dumps, expected)
    assert leaf == canonical or leaf[0] == canonical[0] == "refused"


@settings(max_examples=examples(300))
@given(salt=STRINGS, path=STRINGS, value=STRINGS)
def test_disclosures_are_canonicalised_as_rfc8785_does(salt: str, path: str, value: str) -> None:
    assert outcome(lambda v: disclosure.disclosure_text(*v), (salt, path, value)) \
        == outcome(lambda v: rfc8785.dumps(list(v)), (salt, path, value))


@settings(max_examples=examples(200))
@given(quote=VALID, url=VALID, exact=VALID, prefix=VALID)
def test_a_commitment_leaves_the_plain_body_as_it_was(quote: str, url: str, exact: str,
                                                       prefix: str) -> None:
    plain = {"quote": quote, "url": url, "via": ["a"], "value": "447",
             "anchor": {"quote": {"exact": exact, "prefix": prefix}, "position": {"start": 1}}}
    before = copy.deepcopy(plain)
    body, texts = disclosure.commit(plain, lambda path: "0" * 32)
    assert plain == before
    assert body["value"] == "447" and body["anchor"]["position"] == {"start": 1}
    committed = disclosure.commitments(body)
    assert set(committed) == {"quote", "url", "anchor.quote.exact", "anchor.quote.prefix"}
    assert sorted(committed.values()) == sorted(map(disclosure.commitment_of, texts))
