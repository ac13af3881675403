"""Files that never end, or block: a device, a FIFO, a link to either.

`documents add /dev/zero`, `verify --checkpoint /dev/zero` and a key file linked to
/dev/zero read without bound; a FIFO key file blocked `tally` for good. Every file a
user names is now opened without blocking, refused unless it is a regular file, and
read to at most its cap + 1 bytes (`ledger/infra/bounded_files.py`).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hostile import fifo, recorder

from tally.ledger.errors import KeyStoreError
from tally.ledger.infra.keystore import KeyStore

ZERO = "/dev/zero"


def test_documents_add_refuses_a_device_and_a_fifo(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    for special in (ZERO, str(fifo(tmp_path / "pipe"))):
        out = tally("documents", "add", special, "--key", "alice", code=1).output
        assert "not a regular file" in out, out


def test_verify_refuses_a_device_as_a_kept_checkpoint(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    for special in (ZERO, str(fifo(tmp_path / "pipe"))):
        out = tally("verify", "--checkpoint", special, code=1).output
        assert "not a regular file" in out, out
        out = tally("verify-proof", special, "--checkpoint", special, "--operator-key",
                    "00" * 32, code=1).output
        assert "not a regular file" in out, out


@pytest.mark.parametrize("special", ["zero", "fifo"])
def test_a_key_file_that_is_a_device_or_a_fifo_is_refused(tmp_path: Path,
                                                          special: str) -> None:
    store = KeyStore(tmp_path / "keys")
    store.create("alice")
    private = tmp_path / "keys" / "keys" / "alice.key"
    private.unlink()
    if special == "zero":
        private.symlink_to(ZERO)
    else:
        fifo(private)
        private.chmod(0o600)
    with pytest.raises(KeyStoreError, match="not a regular file"):
        store.load("alice")


def test_an_oversized_file_is_refused_not_cut(tmp_path: Path) -> None:
    tally = recorder(tmp_path)
    big = tmp_path / "big.txt"
    big.write_bytes(b"checkpoint\n" * (1 << 20))
    out = tally("verify", "--checkpoint", str(big), code=1).output
    assert "larger than" in out, out


def test_documents_add_through_a_link_says_which_file_it_archived(tmp_path: Path) -> None:
    """A link to a file elsewhere (`/etc/shadow`, say) was archived without a word."""
    tally = recorder(tmp_path)
    secret = tmp_path / "elsewhere" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("The password of 30 accounts.")
    link = tmp_path / "article.txt"
    link.symlink_to(secret)
    out = tally("documents", "add", str(link), "--key", "alice").output
    assert f"is a link: archived the file {secret}" in out, out
    answer = tally.json("documents", "add", str(link), "--key", "alice")
    assert (answer["file"], answer["linked"]) == (str(secret), True)


def test_import_refuses_a_device_and_a_fifo(tmp_path: Path) -> None:
    """`import /dev/zero` read one endless line (19 GB in a minute); a FIFO blocked."""
    tally = recorder(tmp_path)
    for special in (ZERO, str(fifo(tmp_path / "pipe"))):
        out = tally("import", special, "--key", "alice", code=1).output
        assert "not a regular file" in out, out



def test_clone_refuses_a_fifo_in_a_site_folder(tmp_path: Path) -> None:
    from hostile import operator_key

    tally = recorder(tmp_path)
    site = tmp_path / "site"
    tally("publish", str(site))
    (site / "checkpoint").unlink()
    fifo(site / "checkpoint")
    out = tally("--db", str(tmp_path / "r.db"), "clone", str(site), "--operator-key",
                operator_key(tally), code=1).output
    assert "not a regular file" in out, out
