"""`tally verify-proof` prints what it proved (figure, value, as-of, source, quote) and the
claim's status at the proof's checkpoint (live, corrected to X, retracted), from proven
leaves only; and a checkpoint mismatch names the commands that bridge it (issue 28)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from clirunner import Tally
from factories import FIGURE, cli_ledger, cli_report

QUOTE = "447 bodies were exhumed"


@pytest.fixture
def cited(tmp_path: Path) -> Tally:
    """Three claims (one left live, one corrected to 449, one retracted), each with a
    quote, a checkpoint over all of it, and each claim's proof in `<n>.json`."""
    t = cli_ledger(Tally(tmp_path))
    claims = [cli_report(t, FIGURE, value, as_of, quote=QUOTE) for value, as_of in
              (("447", "2022-09-23"), ("445", "2022-09-24"), ("451", "2022-09-25"))]
    t("correct", claims[1], "449", "--reason", "a recount", "--key", "alice")
    t("retract", claims[2], "--reason", "misread the report", "--key", "alice")
    t("checkpoint", "-o", str(tmp_path / "cp.txt"))
    for n, claim in enumerate(claims):
        t("proof", claim, "-o", str(tmp_path / f"{n}.json"))
    t.env["KEY"] = next(s["public_key"] for s in t.json("signers", "list")["signers"]
                        if s["role"] == "operator")
    return t


def _verify(t: Tally, proof: str, *extra: str, code: int = 0) -> Any:
    return t("verify-proof", str(t.tmp / proof), "--checkpoint", str(t.tmp / "cp.txt"),
             "--operator-key", t.env["KEY"], *extra, code=code)


def test_verify_proof_prints_the_proven_statement(cited: Tally) -> None:
    out = _verify(cited, "0.json").stdout
    for shown in (FIGURE, "447", "2022-09-23", "hromadske", QUOTE):
        assert shown in out, out


@pytest.mark.parametrize(("proof", "status"), [
    ("0.json", "live"), ("1.json", "corrected to 449"), ("2.json", "retracted")])
def test_verify_proof_prints_the_status_at_the_checkpoint(cited: Tally, proof: str,
                                                          status: str) -> None:
    out = " ".join(_verify(cited, proof).stdout.split())
    assert "at checkpoint" in out and f"status {status}" in out, out
    answer = json.loads(_verify(cited, proof, "--json").stdout)
    assert answer["status_at_checkpoint"] == status.split()[0]
    assert answer["opened"]["quote"] == QUOTE


def test_a_follow_up_dropped_from_the_proof_is_not_claimed_absent(cited: Tally) -> None:
    """The status comes from the follow-ups the file proves: a file stripped of its
    retraction no longer says retracted, and says it cannot prove there is none."""
    path = cited.tmp / "2.json"
    proof = json.loads(path.read_text())
    del proof["follow_ups"]
    path.write_text(json.dumps(proof))
    out = " ".join(_verify(cited, "2.json").stdout.split())
    assert "retracted" not in out and "cannot" in out, out


def test_a_forged_follow_up_is_refused(cited: Tally) -> None:
    """A follow-up whose leaf is not in the signed tree at its index is refused."""
    path = cited.tmp / "1.json"
    proof = json.loads(path.read_text())
    proof["follow_ups"][0]["leaf"] = proof["follow_ups"][0]["leaf"].replace("449", "450")
    path.write_text(json.dumps(proof))
    result = _verify(cited, "1.json", code=1)
    assert "follow-up" in result.stderr or "correction" in result.stderr, result.stderr


def test_a_disclosure_of_another_value_is_refused(cited: Tally) -> None:
    path = cited.tmp / "0.json"
    proof = json.loads(path.read_text())
    proof["disclosures"] = [d.replace("447 bodies", "999 bodies")
                            for d in proof["disclosures"]]
    path.write_text(json.dumps(proof))
    result = _verify(cited, "0.json", code=1)
    assert "disclosure" in result.stderr, result.stderr


@pytest.fixture
def two_checkpoints(cited: Tally) -> Tally:
    """`cited` with a later claim and a second, larger checkpoint in `new.txt`; `0.json`
    is against the older one (`cp.txt`), `new-0.json` the same claim's against the newer."""
    cli_report(cited, FIGURE, "452", "2022-10-01")
    cited("checkpoint", "-o", str(cited.tmp / "new.txt"))
    claim = json.loads((cited.tmp / "0.json").read_text())["claim_id"]
    cited.env["CLAIM"] = claim
    cited("proof", claim, "-o", str(cited.tmp / "new-0.json"))
    return cited


def _sizes(t: Tally) -> tuple[int, int]:
    return (json.loads((t.tmp / "0.json").read_text())["tree_size"],
            json.loads((t.tmp / "new-0.json").read_text())["tree_size"])


@pytest.mark.parametrize("form", ["json", "tlog"])
def test_a_newer_checkpoint_names_the_bridging_commands(two_checkpoints: Tally,
                                                        form: str) -> None:
    t = two_checkpoints
    old, new = _sizes(t)
    proof = "0.json"
    if form == "tlog":
        t("proof", t.env["CLAIM"], "--checkpoint", str(old), "--tlog", "-o",
          str(t.tmp / "0.tlog"))
        proof = "0.tlog"
    result = t("verify-proof", str(t.tmp / proof), "--checkpoint", str(t.tmp / "new.txt"),
               "--operator-key", t.env["KEY"], code=1)
    said = " ".join(result.stderr.split())
    assert f"(size {old})" in said and f"(size {new})" in said, said
    assert f"tally proof {t.env['CLAIM']} --checkpoint {new}" in said, said
    assert f"tally consistency {old} {new}" in said and "--consistency" in said, said


def test_an_older_checkpoint_names_the_proof_to_make(two_checkpoints: Tally) -> None:
    t = two_checkpoints
    old, _ = _sizes(t)
    result = t("verify-proof", str(t.tmp / "new-0.json"), "--checkpoint",
               str(t.tmp / "cp.txt"), "--operator-key", t.env["KEY"], code=1)
    said = " ".join(result.stderr.split())
    assert f"tally proof {t.env['CLAIM']} --checkpoint {old}" in said, said
    assert "tally consistency" not in said, said


def test_provenance_names_a_signer_revoked_after_it_signed(tmp_path: Path) -> None:
    """Point 5: the signature stays valid, and the answer says the signer was revoked
    later, where and why, and what that means for this claim."""
    t = cli_ledger(Tally(tmp_path))
    claim = cli_report(t, FIGURE, "447", "2022-09-23")
    key_id = next(s["key_id"] for s in t.json("signers", "list")["signers"]
                  if s["name"] == "alice")
    revoked_at = t.json("signers", "revoke", key_id, "--reason", "laptop stolen")["position"]
    answer = t.json("provenance", claim)
    assert answer["signature_status"] == "valid"
    assert (answer["signer"]["revoked_at"], answer["signer"]["revoked_reason"]) == (
        revoked_at, "laptop stolen")
    out = " ".join(t("provenance", claim).stdout.split())
    assert f"signer revoked at position {revoked_at}: laptop stolen" in out, out
    assert "valid when signed" in out, out
