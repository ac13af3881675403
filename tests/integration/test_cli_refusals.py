"""Input that used to end in a traceback, or in a half-done command, now ends in one sentence
on stderr and exit code 1 (issue 12, part 8), with nothing signed or written."""

from __future__ import annotations

from pathlib import Path

import pytest
from clirunner import Tally
from factories import CUMULATIVE_BODIES, cli_ledger

FIGURE = "izium/bodies"
HUGE = "99999999999999999999999"


@pytest.fixture
def tally(tmp_path: Path, db_url: str) -> Tally:
    return cli_ledger(Tally(tmp_path, db_url), "test.example/refusals",
                      figures={FIGURE: CUMULATIVE_BODIES})


def claim(t: Tally) -> str:
    out = t.json("report", FIGURE, "447", "--as-of", "2022-09", "--source", "hromadske",
                 "--key", "alice")
    return str(out["id"])


# --- part 8: tracebacks ----------------------------------------------------------------------


@pytest.mark.parametrize("command", ["show", "history"])
@pytest.mark.parametrize("known_at", [HUGE, str(2**63), "0001-01-01T00:00+01:00"])
def test_known_at_beyond_any_position_or_time_is_one_sentence(
    tally: Tally, command: str, known_at: str
) -> None:
    claim(tally)
    tally.refused(command, FIGURE, "--known-at", known_at, fragment="known")


@pytest.mark.parametrize("known_at", ["²", "⑦"])
def test_known_at_in_digits_int_cannot_read_is_a_usage_error(tally: Tally, known_at: str) -> None:
    """str.isdigit() is true for "²", which int() refuses: it was a traceback."""
    assert "give a position" in tally("show", FIGURE, "--known-at", known_at, code=2).stderr


def test_known_at_the_largest_position_is_everything(tally: Tally) -> None:
    claim(tally)
    out = tally.json("show", FIGURE, "--known-at", str(2**63 - 1))
    assert out["value"]["written"] == "447"


@pytest.mark.parametrize("size", [HUGE, str(2**63), str(-(2**63) - 1)])
def test_proof_and_consistency_at_a_huge_checkpoint_are_one_sentence(
    tally: Tally, size: str
) -> None:
    made = claim(tally)
    stored = str(tally.json("checkpoint")["size"])
    tally.refused("proof", made, "--checkpoint", size, fragment="no checkpoint of size")
    if not size.startswith("-"):  # a negative argument would read as an option
        tally.refused("consistency", stored, size, fragment="no checkpoint of size")
        tally.refused("consistency", size, size, fragment="no checkpoint of size")


@pytest.mark.parametrize(("contents", "why"), [
    (b"not a key\n", "64 hex digits"),
    (b"abcd\n", "64 hex digits"),
    (b"ab" * 33 + b"\n", "64 hex digits"),
    (b"\xff\xfe" + b"0" * 62, "64 hex digits"),
    (b"", "64 hex digits"),
])
def test_keys_list_with_a_bad_pub_file_names_it(tally: Tally, contents: bytes, why: str) -> None:
    (tally.keys / "broken.pub").write_bytes(contents)
    message = tally.refused("keys", "list", fragment="broken.pub")
    assert why in message


def test_keys_list_with_a_pub_that_is_not_a_file_names_it(tally: Tally) -> None:
    (tally.keys / "odd.pub").mkdir()
    tally.refused("keys", "list", fragment="odd.pub")


# --- the smaller items of part 8 -------------------------------------------------------------


def test_signers_add_with_64_hex_digits_registers_that_public_key(tally: Tally) -> None:
    """Even when a local key file happens to bear that name."""
    tally("keys", "new", "bob")
    bob = next(k for k in tally.json("keys", "list")["keys"] if k["name"] == "bob")
    alice = tally.keys / "alice"
    for suffix in (".key", ".pub"):  # alice's key under bob's public key as its name
        planted = tally.keys / (bob["public_key"] + suffix)
        planted.write_bytes(alice.with_suffix(suffix).read_bytes())
        planted.chmod(0o600)
    out = tally.json("signers", "add", "bob", "--key", bob["public_key"])
    assert out["id"] == bob["key_id"]
    assert tally.json("signers", "add", "bob", "--key", bob["public_key"].upper())["id"] == (
        bob["key_id"])
    signers = {s["name"]: s for s in tally.json("signers", "list")["signers"]}
    assert signers["bob"]["public_key"] == bob["public_key"]


def test_signers_add_key_help_states_the_rule(tally: Tally) -> None:
    assert "64 hex digits" in tally("signers", "add", "--help").stdout


def test_a_signer_added_as_operator_can_be_revoked(tally: Tally) -> None:
    tally("keys", "new", "deputy")
    deputy = tally.json("signers", "add", "deputy", "--key", "deputy", "--operator")["id"]
    out = tally.json("signers", "revoke", deputy, "--reason", "left the team")
    assert out["status"] == "recorded"
    revoked = {s["key_id"]: s["revoked"] for s in tally.json("signers", "list")["signers"]}
    assert revoked[deputy] is True
    tally.refused("report", FIGURE, "447", "--as-of", "2022-09", "--source", "hromadske",
                  "--key", "deputy", fragment="revoked")
    assert tally.json("verify")["ok"]


def test_the_genesis_operator_key_cannot_be_revoked(tally: Tally) -> None:
    operator = tally.json("init", "--name", "test.example/refusals")["operator_key_id"]
    message = tally.refused("signers", "revoke", operator, fragment="trust root")
    assert "operator key" in message


def test_duplicate_parts_are_refused_naming_the_field(tally: Tally) -> None:
    tally("figures", "define", "izium/a", "--unit", "bodies")
    message = tally.refused("figures", "define", "izium/total", "--parts",
                            "izium/a,izium/bodies,izium/a", fragment="parts")
    assert "izium/a" in message and "more than once" in message
    assert "izium/total" not in [f["id"] for f in tally.json("figures", "list")["figures"]]


def test_checkpoint_to_an_unwritable_file_signs_nothing(tally: Tally) -> None:
    claim(tally)
    blocker = tally.tmp / "a-file"
    blocker.write_text("")
    for target in (blocker / "cp.txt", tally.tmp / "missing" / "cp.txt", tally.tmp):
        tally.refused("checkpoint", "-o", str(target), fragment=str(target))
        assert tally.json("checkpoint", "--list")["checkpoints"] == []
    assert not list((tally.tmp).glob("missing*"))
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"))
    assert len(tally.json("checkpoint", "--list")["checkpoints"]) == 1


def test_checkpoint_keeps_an_existing_file_when_it_cannot_sign(tally: Tally) -> None:
    (tally.tmp / "cp.txt").write_text("kept\n")
    tally.keys.joinpath("operator.key").chmod(0o644)  # the operator key is refused
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"), code=1)
    assert (tally.tmp / "cp.txt").read_text() == "kept\n"
    tally.keys.joinpath("operator.key").chmod(0o600)
    tally("checkpoint", "-o", str(tally.tmp / "cp.txt"))
    assert (tally.tmp / "cp.txt").read_text().startswith("test.example/refusals\n")


def test_a_keys_folder_others_can_write_to_is_refused(tally: Tally) -> None:
    tally.keys.chmod(0o777)
    tally.refused("report", FIGURE, "447", "--as-of", "2022-09", "--source", "hromadske",
                  "--key", "alice", fragment=f"chmod 700 {tally.keys}")
    tally.refused("keys", "new", "carol", fragment="chmod 700")
    tally.keys.chmod(0o700)
    claim(tally)


def test_published_before_as_of_is_refused_naming_published(tally: Tally) -> None:
    message = tally.refused("report", FIGURE, "447", "--as-of", "2022-09-23", "--published",
                            "2022-08", "--source", "hromadske", "--key", "alice",
                            fragment="published")
    assert "2022-08" in message and "2022-09-23" in message
    tally("report", FIGURE, "447", "--as-of", "2022-09-23", "--published", "2022-09",
          "--source", "hromadske", "--key", "alice")
