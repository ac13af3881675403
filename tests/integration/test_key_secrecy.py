"""Private keys stay in their 0600 files: never in the database, an export, a proof or the output.

A whole scenario runs through `tally` (init, keys, signers, a revocation, sources,
figures, reports signed with --key and pre-signed lines imported, a correction, a
retraction, checkpoints, proofs, verify, export as JSONL and CSV). After every
command the database (on SQLite: the file, its write-ahead log and shared-memory
file; on both engines: every row of every table) and every file and output the
scenario produced are scanned for every private key in every form it could leak
in: the raw 32-byte seed, the 64-byte seed+public form, the expanded secret
scalar, the PKCS#8 DER, each as raw bytes, hex (both cases) and base64 (standard
and URL-safe, at any alignment), and the PEM text itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from sqlalchemy import Column, LargeBinary, MetaData, Table, inspect, text
from typer.testing import CliRunner

from tally.cli.main import app
from tally.ledger.application import Ledger
from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity.signing import KeyPair

FIGURE = "izium/bodies"


def _base64_forms(raw: bytes) -> list[bytes]:
    """Substrings that appear in any base64 text encoding `raw`, whatever its offset."""
    forms = []
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        for offset in range(3):
            encoded = encode(bytes(offset) + raw)
            start = -(-offset * 4 // 3)  # the first character made of `raw` bits only
            forms.append(encoded[start:-3])
    return forms


def secret_forms(key: KeyPair) -> dict[str, bytes]:
    seed = key.private_key.private_bytes_raw()
    der = key.private_key.private_bytes(serialization.Encoding.DER,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    pem = key.private_key.private_bytes(serialization.Encoding.PEM,
                                        serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption())
    expanded = hashlib.sha512(seed).digest()
    scalar = bytearray(expanded[:32])
    scalar[0] &= 248
    scalar[31] = (scalar[31] & 127) | 64
    forms: dict[str, bytes] = {"PEM text": pem.strip(), "PEM body": pem.splitlines()[1]}
    for name, raw in (("seed", seed), ("seed+public", seed + key.public_key),
                      ("secret scalar", bytes(scalar)), ("nonce prefix", expanded[32:]),
                      ("PKCS#8 DER", der)):
        forms[f"{name} raw"] = raw
        forms[f"{name} hex"] = raw.hex().encode()
        forms[f"{name} HEX"] = raw.hex().upper().encode()
        for i, form in enumerate(_base64_forms(raw)):
            forms[f"{name} base64 #{i}"] = form
    return forms


def database_bytes(db_url: str) -> dict[str, bytes]:
    """The database as bytes: SQLite's files, and every row of every table on both engines."""
    found: dict[str, bytes] = {}
    with Ledger.open(db_url) as ledger:
        path = ledger.store.sqlite_path
        if path is not None:
            for suffix in ("", "-wal", "-shm"):
                part = path.with_name(path.name + suffix)
                if part.exists():
                    found[part.name] = part.read_bytes()
        with ledger.engine.connect() as conn:
            for table in inspect(conn).get_table_names():
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                found[f"table {table}"] = b"\n".join(
                    b"|".join(v if isinstance(v, bytes) else bytes(v) if isinstance(v, memoryview)
                              else str(v).encode() for v in row) for row in rows)
    return found


class Scenario:
    """Runs `tally` in-process and scans everything after each command."""

    def __init__(self, tmp: Path, db_url: str) -> None:
        self.tmp, self.db_url = tmp, db_url
        self.home = tmp / "home"
        self.env = {"TALLY_HOME": str(self.home), "TALLY_DB": db_url, "COLUMNS": "200"}
        self.outputs: dict[str, bytes] = {}
        self.scans = 0

    def key_pairs(self) -> list[KeyPair]:
        store = KeyStore(self.home)
        return [store.load(k.name) for k in store.list()]

    def __call__(self, *args: str) -> str:
        result = CliRunner().invoke(app, list(args), env=self.env)
        assert result.exit_code == 0, (args, result.output)
        self.outputs[" ".join(args)] = result.stdout.encode() + result.stderr.encode()
        self.scan()
        return result.stdout

    def scan(self) -> None:
        places = dict(database_bytes(self.db_url))
        places.update(self.outputs)
        for path in self.tmp.iterdir():
            if path.is_file():
                places[path.name] = path.read_bytes()
        keys = self.key_pairs()
        assert keys
        for key in keys:
            for form_name, form in secret_forms(key).items():
                for place, data in places.items():
                    assert form not in data, f"{key.name}'s private key ({form_name}) is in {place}"
        self.scans += 1


def test_no_private_key_reaches_the_database_an_export_or_the_output(
    db_url: str, tmp_path: Path
) -> None:
    t = Scenario(tmp_path, db_url)
    t("init", "--name", "example.org/secrets")
    t("keys", "new", "alice")
    t("keys", "new", "bob")
    t("--json", "keys", "list")
    t("signers", "add", "alice", "--key", "alice")
    t("signers", "add", "bob", "--key", "bob")
    t("sources", "add", "hromadske", "--name", "Hromadske", "--kind", "media")
    t("figures", "define", FIGURE, "--unit", "bodies", "--cumulative")
    first = json.loads(t("--json", "report", FIGURE, "447", "--as-of", "2022-09-23",
                         "--source", "hromadske", "--quote", "447 bodies", "--key", "alice"))["id"]
    lines = [{"type": "report", "figure": FIGURE, "value": str(440 + i), "as_of": "2022-09",
              "source": "hromadske"} for i in range(5)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    t("import", str(tmp_path / "in.jsonl"), "--key", "bob")
    t("correct", first[:8], "449", "--reason", "recount", "--key", "alice")
    t("retract", first[:8], "--reason", "withdrawn", "--key", "alice")
    bob = next(k for k in t.key_pairs() if k.name == "bob")
    t("signers", "revoke", bob.key_id, "--reason", "key rotated")
    t("checkpoint", "-o", str(tmp_path / "checkpoint.txt"))
    t("proof", first, "-o", str(tmp_path / "proof.json"))
    t("proof", first, "--tlog", "-o", str(tmp_path / "proof.tlog"))
    t("--json", "verify")
    t("show", FIGURE)
    t("history", FIGURE)
    t("provenance", first)
    t("export", "-o", str(tmp_path / "ledger.jsonl"))
    t("export", "--format", "csv", "-o", str(tmp_path / "ledger.csv"))
    t("export")  # to stdout, scanned as output
    assert (tmp_path / "ledger.jsonl").read_text().count("\n") >= 8
    assert "claim_id" in (tmp_path / "ledger.csv").read_text()
    assert {k.name for k in t.key_pairs()} == {"operator", "alice", "bob"}
    assert t.scans == len(t.outputs) >= 20


def test_the_scan_finds_a_key_that_leaked(db_url: str, tmp_path: Path) -> None:
    """The scan itself works: a key written into a table, a file or an output is found."""
    t = Scenario(tmp_path, db_url)
    t("init", "--name", "example.org/secrets")
    operator = t.key_pairs()[0]
    forms = secret_forms(operator)
    leaks = Table("leak", MetaData(), Column("v", LargeBinary))
    for name in ("seed raw", "seed hex", "seed base64 #1", "PEM body", "secret scalar HEX"):
        with Ledger.open(db_url) as ledger, ledger.engine.begin() as conn:
            leaks.create(conn, checkfirst=True)
            conn.execute(leaks.delete())
            conn.execute(leaks.insert().values(v=b"prefix:" + forms[name] + b":suffix"))
        with pytest.raises(AssertionError, match="operator's private key"):
            t.scan()
    with Ledger.open(db_url) as ledger, ledger.engine.begin() as conn:
        leaks.drop(conn)
    t.scan()
    (tmp_path / "export.txt").write_bytes(base64.b64encode(b"xy" + forms["seed raw"]))
    with pytest.raises(AssertionError, match=r"in export\.txt"):
        t.scan()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keys_new_writes_0600_files_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        result = CliRunner().invoke(app, ["keys", "new", "alice"],
                                    env={"TALLY_HOME": str(tmp_path / "home")})
    finally:
        os.umask(old)
    assert result.exit_code == 0, result.output
    assert mode(tmp_path / "home" / "keys" / "alice.key") == 0o600
    assert mode(tmp_path / "home" / "keys") == 0o700


@pytest.mark.parametrize("perm", [0o640, 0o604, 0o660, 0o644, 0o666])
def test_an_operator_key_open_to_others_is_refused_and_nothing_is_written(
    db_url: str, tmp_path: Path, perm: int
) -> None:
    env = {"TALLY_HOME": str(tmp_path / "home"), "TALLY_DB": db_url}
    runner = CliRunner()
    assert runner.invoke(app, ["init", "--name", "example.org/modes"], env=env).exit_code == 0
    assert runner.invoke(app, ["keys", "new", "alice"], env=env).exit_code == 0
    key_file = tmp_path / "home" / "keys" / "operator.key"
    key_file.chmod(perm)
    before = database_bytes(db_url)
    for args in (["signers", "add", "alice", "--key", "alice"], ["checkpoint"]):
        result = runner.invoke(app, args, env=env)
        assert result.exit_code == 1, result.output
        assert "chmod 600" in result.stderr and "Traceback" not in result.output
        assert len(result.stderr.strip().splitlines()) == 1
    after = database_bytes(db_url)
    assert {k: v for k, v in after.items() if k.startswith("table")} == {
        k: v for k, v in before.items() if k.startswith("table")}
