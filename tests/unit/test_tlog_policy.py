"""tlog-policy parsing (every rule of the spec) and quorum evaluation on cosigned notes."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tally.ledger.errors import VerificationError
from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint, split_note, verifier_key
from tally.ledger.integrity.cosignature import Cosigner, cosign, with_signatures
from tally.ledger.integrity.tlog_policy import check_note, parse_policy, policy_text

ORIGIN = "example.org/log"
LOG = Ed25519PrivateKey.from_private_bytes(bytes([7]) * 32)
LOG_VKEY = verifier_key(ORIGIN, LOG.public_key().public_bytes_raw())
KEYS = {n: Ed25519PrivateKey.from_private_bytes(bytes([10 + i]) * 32)
        for i, n in enumerate(("a", "b", "c", "d"))}
COSIGNERS = {n: Cosigner(f"{n}.witness", k.public_key().public_bytes_raw())
             for n, k in KEYS.items()}
NOTE = sign_checkpoint(Checkpoint(origin=ORIGIN, size=5, root_hash=bytes(32)), LOG)
WITNESSES = "\n".join(f"witness {n} {c.vkey}" for n, c in COSIGNERS.items())


def cosigned(*names: str) -> str:
    text = split_note(NOTE)[0]
    return with_signatures(NOTE, [cosign(text, COSIGNERS[n].name, KEYS[n], 100) for n in names])


def policy(rest: str) -> str:
    return f"# comment\n  log {LOG_VKEY}  https://log.example\n\n{WITNESSES}\n{rest}\n"


def test_a_nested_quorum_is_met_or_names_the_missing_witnesses() -> None:
    p = parse_policy(policy("group ab 2 a b\ngroup cd any c\td\ngroup q all ab cd\nquorum q"))
    assert check_note(p, cosigned("a", "b", "d")).cosigned == ("a", "b", "d")
    with pytest.raises(VerificationError, match=r"no cosignature from b, c, d"):
        check_note(p, cosigned("a"))
    with pytest.raises(VerificationError, match=r"no cosignature from c, d"):
        check_note(p, cosigned("a", "b"))


def test_quorum_none_and_a_single_witness() -> None:
    assert check_note(parse_policy(policy("quorum none")), NOTE).cosigned == ()
    with pytest.raises(VerificationError, match="from c"):
        check_note(parse_policy(policy("quorum c")), cosigned("a", "b", "d"))


def test_the_log_must_be_trusted_and_its_signature_valid() -> None:
    p = parse_policy(policy("quorum none"))
    other = sign_checkpoint(Checkpoint(origin="other.org/log", size=5, root_hash=bytes(32)), LOG)
    with pytest.raises(VerificationError, match="does not trust log"):
        check_note(p, other)
    stranger = Ed25519PrivateKey.from_private_bytes(bytes([99]) * 32)
    forged = sign_checkpoint(Checkpoint(origin=ORIGIN, size=5, root_hash=bytes(32)), stranger)
    with pytest.raises(VerificationError):
        check_note(p, forged)
    # with no log line, the caller names the log key
    bare = parse_policy(f"{WITNESSES}\nquorum a\n")
    with pytest.raises(VerificationError, match="does not trust"):
        check_note(bare, cosigned("a"))
    assert check_note(bare, cosigned("a"), [(ORIGIN, LOG.public_key().public_bytes_raw())])


def test_a_tampered_cosignature_fails_the_check_instead_of_counting() -> None:
    note = cosigned("a", "b")
    head, _, last = note.rstrip("\n").rpartition("\n")
    forged = head + "\n" + last[:-6] + ("AAAA==" if not last.endswith("AAAA==") else "BBBB==")
    with pytest.raises(VerificationError):
        check_note(parse_policy(policy("quorum a")), forged + "\n")


@pytest.mark.parametrize("rest, why", [
    ("", "exactly one quorum"),
    ("quorum a\nquorum b", "exactly one quorum"),
    ("quorum zz", "not defined"),
    ("group g 2 a\nquorum g", "threshold"),
    ("group g 0 a b\nquorum g", "threshold"),
    ("group g 01 a b\nquorum g", "threshold"),
    ("group g any a a\nquorum g", "twice"),
    ("group g any zz\nquorum g", "not defined"),
    ("group g any\nquorum g", "not a log"),
    ("group a any b\nquorum a", "already defined"),
    ("group none any b\nquorum none", "reserved"),
    ("group g any none\nquorum g", "not defined"),
    ("quorum g\ngroup g any a", "not defined"),
    ("witness dup " + "{a}" + "\nquorum none", "already in the policy"),
    ("witness x " + "{log}" + "\nquorum none", "not a witness key"),
    ("log {a}\nquorum none", "not a log key"),
    ("frobnicate\nquorum none", "not a log"),
    ("quorum\x0bnone", "control character"),
])
def test_malformed_policies_are_refused(rest: str, why: str) -> None:
    rest = rest.replace("{a}", COSIGNERS["a"].vkey).replace("{log}", LOG_VKEY)
    with pytest.raises(VerificationError, match=why):
        parse_policy(policy(rest))


def test_a_written_policy_reads_back_and_requires_its_quorum() -> None:
    witnesses = [(n, c.vkey, f"https://{n}.example/") for n, c in COSIGNERS.items()]
    text = policy_text(LOG_VKEY, witnesses[:3], 2)
    p = parse_policy(text)
    assert p.logs == {ORIGIN: LOG.public_key().public_bytes_raw()}
    assert list(p.witnesses) == ["a", "b", "c"] and p.urls["b"] == "https://b.example/"
    assert check_note(p, cosigned("a", "c")).cosigned == ("a", "c")
    with pytest.raises(VerificationError, match=r"no cosignature from b, c"):
        check_note(p, cosigned("a"))
    everyone = parse_policy(policy_text(LOG_VKEY, witnesses[:2], None))
    with pytest.raises(VerificationError, match=r"no cosignature from b"):
        check_note(everyone, cosigned("a"))
    assert parse_policy(policy_text(LOG_VKEY, [], None)).quorum == "none"


def test_a_written_policy_names_its_group_apart_from_every_witness() -> None:
    named = [("witnesses", COSIGNERS["a"].vkey, None), ("b", COSIGNERS["b"].vkey, None)]
    p = parse_policy(policy_text(LOG_VKEY, named, None))
    assert set(p.witnesses) == {"witnesses", "b"} and p.quorum not in p.witnesses


def test_a_written_policy_refuses_a_quorum_it_cannot_meet() -> None:
    with pytest.raises(VerificationError, match="between 1 and 2"):
        policy_text(LOG_VKEY, [(n, COSIGNERS[n].vkey, None) for n in ("a", "b")], 3)
