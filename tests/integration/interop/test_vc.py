"""The Verifiable Credentials export: our `eddsa-jcs-2022` reproduces the W3C test vectors
of the cryptosuite (tests/data/vc-di-eddsa, from w3c/vc-di-eddsa), and every credential
verifies with a verifier written here from the specification alone (RFC 8785, SHA-256,
Ed25519, base58btc, did:key), whose evidence `tally verify-proof`'s checker accepts."""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import rfc8785
from budgets import examples
from clirunner import Tally
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from hypothesis import HealthCheck, given, settings
from interop_ledgers import Expected, assert_round_trip, ledgers, small_ledger

from tally.ledger.verify.citation import verify_proof_file
from tally.projections.interop.credentials import credentials
from tally.projections.interop.data_integrity import hash_data, secured
from tally.projections.interop.mapping import gather

from .conftest import Izium

VECTORS = Path(__file__).resolve().parents[2] / "data" / "vc-di-eddsa"
B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
CREATED = "2026-01-01T00:00:00Z"


def _vector(name: str) -> Any:
    text = (VECTORS / name).read_text()
    return json.loads(text) if name.endswith(".json") else text.strip()


def b58decode(text: str) -> bytes:
    """base58btc (draft-msporny-base58), leading '1's as zero bytes."""
    n = 0
    for c in text:
        n = n * 58 + B58.index(c)
    zeros = len(text) - len(text.lstrip("1"))
    return b"\0" * zeros + n.to_bytes((n.bit_length() + 7) // 8, "big")


def verify(secured_document: dict[str, Any]) -> None:
    """vc-di-eddsa §3.3.2 (verify proof, eddsa-jcs-2022), with a did:key method; raises
    AssertionError or InvalidSignature when the document does not verify."""
    document = copy.deepcopy(secured_document)
    proof = document.pop("proof")
    proof_value = proof.pop("proofValue")
    assert proof["type"] == "DataIntegrityProof" and proof["cryptosuite"] == "eddsa-jcs-2022"
    if "@context" in proof:
        assert proof["@context"] == document["@context"]
    did, _, fragment = proof["verificationMethod"].partition("#")
    assert did.startswith("did:key:z") and fragment == did.removeprefix("did:key:")
    multicodec = b58decode(fragment[1:])
    assert multicodec[:2] == b"\xed\x01" and len(multicodec) == 34
    assert proof_value.startswith("z")
    hashed = (hashlib.sha256(rfc8785.dumps(proof)).digest()
              + hashlib.sha256(rfc8785.dumps(document)).digest())
    Ed25519PublicKey.from_public_bytes(multicodec[2:]).verify(b58decode(proof_value[1:]),
                                                               hashed)


def test_the_cryptosuite_reproduces_the_w3c_test_vectors() -> None:
    seed = b58decode(_vector("keyPair.json")["privateKeyMultibase"][1:])
    assert seed[:2] == b"\x80\x26"
    key = Ed25519PrivateKey.from_private_bytes(seed[2:])
    config, unsigned = _vector("proofConfigJCS.json"), _vector("unsigned.json")
    assert hash_data(config, unsigned).hex() == _vector("combinedHashJCS.txt")
    signed = secured(unsigned, key, config["created"], config["verificationMethod"])
    assert signed == _vector("signedJCS.json")
    assert b58decode(signed["proof"]["proofValue"][1:]).hex() == _vector("sigHexJCS.txt")
    verify(_vector("signedJCS.json"))


def test_the_verifier_refuses_a_changed_vector() -> None:
    changed = _vector("signedJCS.json")
    changed["credentialSubject"]["alumniOf"] = "Another School"
    with pytest.raises(InvalidSignature):
        verify(changed)


def read_back(issued: list[dict[str, Any]]) -> dict[str, Expected]:
    found: dict[str, Expected] = {}
    for vc in issued:
        verify(vc)
        s, evidence = vc["credentialSubject"], vc["evidence"][0]
        claim = s["id"].rsplit("/", 1)[1].removesuffix(".html")
        found[claim] = Expected(
            value=s["value"], as_of=s["asOf"], published=s.get("published"),
            source=s["source"], url=s.get("url"), quote=s.get("quote"),
            signature=s["recorderSignature"]["signatureHex"],
            leaf_index=evidence["leafIndex"], leaf_hash=evidence["leafHash"])
    return found


def test_every_izium_credential_verifies_and_carries_its_evidence(izium: Izium) -> None:
    record = gather(izium.ledger, izium.views)
    issued = credentials(record, izium.ledger, izium.operator, CREATED)
    assert len(issued) == 41
    assert_round_trip(izium.ledger, izium.views, read_back(issued))
    operator_key = bytes.fromhex(record.operator_public_key)
    for vc in issued:
        assert vc["issuer"] == vc["proof"]["verificationMethod"].partition("#")[0]
        evidence = vc["evidence"][0]
        proof = evidence["inclusionProof"]
        checked = verify_proof_file(json.dumps(proof), proof["checkpoint"], operator_key)
        assert checked.claim_id == vc["credentialSubject"]["id"].rsplit("/", 1)[1][:32]
        assert proof["leaf_hash"] == evidence["leafHash"]
        _assert_disclosed(vc["credentialSubject"])
        signature = vc["credentialSubject"]["recorderSignature"]
        Ed25519PublicKey.from_public_bytes(bytes.fromhex(signature["publicKeyHex"])).verify(
            bytes.fromhex(signature["signatureHex"]),
            vc["credentialSubject"]["signedBody"].encode())


def _assert_disclosed(subject: dict[str, Any]) -> None:
    """The quote and URL in clear open the signed body's commitments (formats.md §3.2)."""
    body = json.loads(subject["signedBody"])
    opened = {}
    for text in subject["disclosures"]:
        salt, path, value = json.loads(text)
        assert len(salt) == 32
        opened[(path, hashlib.sha256(text.encode()).hexdigest())] = value
    for field in ("quote", "url"):
        if field in subject:
            assert opened[(field, body[field]["commitment"])] == subject[field]


def test_a_changed_credential_does_not_verify(izium: Izium) -> None:
    issued = credentials(gather(izium.ledger, izium.views, figure="izium/burial-site/graves"),
                         izium.ledger, izium.operator, CREATED)
    issued[0]["credentialSubject"]["value"] = "999"
    with pytest.raises(InvalidSignature):
        verify(issued[0])


def test_the_command_signs_with_the_operator_key(izium: Izium, tmp_path: Path) -> None:
    tally = Tally(izium.db.parent, db=str(izium.db))
    out = tmp_path / "vc.json"
    answer = tally.json("export", "--format", "vc", "-o", str(out),
                        "--figure", "izium/burial-site/graves")
    issued = json.loads(out.read_text())
    assert answer["claims"] == len(issued) > 0
    for vc in issued:
        verify(vc)
    elsewhere = Tally(tmp_path, db=str(izium.db))  # a home without the operator key
    refused = elsewhere("export", "--format", "vc", "-o", str(out), code=1)
    assert "operator key" in refused.output


@settings(max_examples=examples(10), deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(ledgers)
def test_every_claim_comes_back_from_a_random_ledger(script: Any) -> None:
    with small_ledger(script) as (ledger, views, operator):
        issued = credentials(gather(ledger, views), ledger, operator, CREATED)
        assert_round_trip(ledger, views, read_back(issued))
