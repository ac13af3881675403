"""`tally verify-proof PROOF --checkpoint NEWER --consistency LINK`: an auditor who kept a
newer checkpoint checks a proof made against an older one; and a file that is not a
proof (a binary, a non-JSON text) is one sentence, not a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tally.cli.main import app

FIGURE = "izium/bodies"


class Tally:
    def __init__(self, tmp: Path, db: str) -> None:
        self.tmp = tmp
        self.env = {"TALLY_HOME": str(tmp / "home"), "TALLY_DB": db, "COLUMNS": "100"}

    def __call__(self, *args: str, code: int = 0):  # type: ignore[no-untyped-def]
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exit_code == code, (args, result.output, result.exception)
        assert "Traceback" not in result.output
        return result

    def file(self, name: str) -> str:
        return str(self.tmp / name)


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    """A ledger with checkpoints at two sizes, a proof of the first claim against the older
    one (JSON and tlog), and the consistency proof between them (files in tmp_path)."""
    t = Tally(tmp_path, db_url)
    t("init", "--name", "test.example/izium")
    t("keys", "new", "alice")
    t("signers", "add", "alice", "--key", "alice")
    t("sources", "add", "wire", "--name", "Wire", "--kind", "media")
    t("figures", "define", FIGURE, "--unit", "bodies")
    claim = json.loads(t("--json", "report", FIGURE, "447", "--as-of", "2022-09", "--source",
                         "wire", "--key", "alice").stdout)["id"]
    old = json.loads(t("--json", "checkpoint", "-o", t.file("old.txt")).stdout)["size"]
    t("proof", claim, "-o", t.file("proof.json"))
    t("proof", claim, "--tlog", "-o", t.file("proof.tlog"))
    for value in ("449", "451", "452"):
        t("report", FIGURE, value, "--as-of", "2022-10", "--source", "wire", "--key", "alice")
    new = json.loads(t("--json", "checkpoint", "-o", t.file("new.txt")).stdout)["size"]
    t("consistency", str(old), str(new), "-o", t.file("link.json"))
    t("consistency", str(old), str(old), "-o", t.file("same.json"))
    signers = json.loads(t("--json", "signers", "list").stdout)["signers"]
    t.env["KEY"] = next(s["public_key"] for s in signers if s["role"] == "operator")
    t.env["CLAIM"], t.env["OLD"], t.env["NEW"] = claim, str(old), str(new)
    return t


def _verify(t: Tally, proof: str, checkpoint: str, link: str | None, code: int = 0):  # type: ignore[no-untyped-def]
    args = ["verify-proof", t.file(proof), "--checkpoint", t.file(checkpoint),
            "--operator-key", t.env["KEY"]]
    return t(*args, *(["--consistency", t.file(link)] if link else []), code=code)


def _one_sentence(result, fragment: str = "") -> None:  # type: ignore[no-untyped-def]
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert fragment in result.stderr


def test_an_old_proof_verifies_through_a_newer_checkpoint(tally: Tally) -> None:
    for proof in ("proof.json", "proof.tlog"):
        out = json.loads(tally("--json", "verify-proof", tally.file(proof), "--checkpoint",
                               tally.file("new.txt"), "--consistency", tally.file("link.json"),
                               "--operator-key", tally.env["KEY"]).stdout)
        assert out["ok"] and out["claim_id"] == tally.env["CLAIM"]
        assert out["tree_size"] == int(tally.env["OLD"])
        assert out["trusted_tree_size"] == int(tally.env["NEW"])
        text = _verify(tally, proof, "new.txt", "link.json").stdout
        assert "ok" in text and tally.env["NEW"] in text
    # the same checkpoint at both ends: an empty consistency proof
    _verify(tally, "proof.json", "old.txt", "same.json")


def test_without_the_consistency_proof_the_newer_checkpoint_is_refused(tally: Tally) -> None:
    _one_sentence(_verify(tally, "proof.json", "new.txt", None, code=1))


@pytest.mark.parametrize(("checkpoint", "link", "fragment"), [
    ("old.txt", "link.json", "ends at size"),  # the trusted checkpoint is the old one
    ("new.txt", "same.json", "ends at size"),  # a link that does not reach the trusted one
    ("proof.json", "link.json", "signed note"),  # not a checkpoint at all
    ("new.txt", "proof.json", "consistency proof"),  # not a consistency proof
    ("new.txt", "new.txt", "consistency proof"),
])
def test_mismatches_are_one_sentence(
    tally: Tally, checkpoint: str, link: str, fragment: str
) -> None:
    _one_sentence(_verify(tally, "proof.json", checkpoint, link, code=1), fragment)


def test_every_altered_field_of_the_consistency_file_is_refused(tally: Tally) -> None:
    link = json.loads(Path(tally.file("link.json")).read_text())
    other_note = Path(tally.file("old.txt")).read_text()
    changes = {
        "old_size": link["old_size"] + 1, "new_size": link["new_size"] - 1,
        "old_root": "0" * 64, "new_root": link["old_root"],
        "path": link["path"][:-1], "old_checkpoint": link["new_checkpoint"],
        "new_checkpoint": other_note,
    }
    for field, value in changes.items():
        Path(tally.file("bad.json")).write_text(json.dumps({**link, field: value}))
        _one_sentence(_verify(tally, "proof.json", "new.txt", "bad.json", code=1))


def test_a_checkpoint_of_another_key_is_refused(tally: Tally) -> None:
    result = tally("verify-proof", tally.file("proof.json"), "--checkpoint",
                   tally.file("new.txt"), "--consistency", tally.file("link.json"),
                   "--operator-key", "11" * 32, code=1)
    _one_sentence(result)


def test_a_consistency_proof_as_the_proof_with_consistency_is_refused(tally: Tally) -> None:
    _one_sentence(_verify(tally, "link.json", "new.txt", "link.json", code=1), "inclusion proof")


@pytest.mark.parametrize("which", ["proof", "checkpoint", "consistency"])
@pytest.mark.parametrize("content", [b"\x7fELF\x02\x01\x01\x00\xff\xfe\x00\x00", b"hello\n",
                                     b"", b"\x00" * 64],
                         ids=["binary", "text", "empty", "nul"])
def test_a_file_that_is_not_a_proof_is_one_sentence(
    tally: Tally, which: str, content: bytes
) -> None:
    junk = Path(tally.file("junk.bin"))
    junk.write_bytes(content)
    files = {"proof": "proof.json", "checkpoint": "new.txt", "consistency": "link.json"}
    files[which] = "junk.bin"
    _one_sentence(_verify(tally, files["proof"], files["checkpoint"], files["consistency"],
                          code=1))


def test_verify_proof_on_a_real_binary_is_one_sentence(tally: Tally) -> None:
    for binary in ("/bin/ls", "/bin/sh"):
        if not Path(binary).exists():
            continue
        result = tally("verify-proof", binary, "--checkpoint", tally.file("old.txt"),
                       "--operator-key", tally.env["KEY"], code=1)
        _one_sentence(result, "not")
    result = tally("verify-proof", str(tally.tmp), "--checkpoint", tally.file("old.txt"),
                   "--operator-key", tally.env["KEY"], code=1)
    _one_sentence(result)
