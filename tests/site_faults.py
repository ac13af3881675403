"""Faults the operator itself can publish: a site whose tiles, bundle and signed checkpoint
all agree on an entry that fails the audit (`from site_faults import publish_bad_signature`)."""

from __future__ import annotations

from pathlib import Path

from tally.ledger.infra.keystore import KeyStore
from tally.ledger.integrity import merkle, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, sign_checkpoint
from tally.ledger.integrity.envelope import leaf_bytes, parse_leaf
from tally.ledger.integrity.signing import canonical


def publish_bad_signature(site: Path, home: Path, origin: str, operator_key: str,
                          size: int) -> None:
    """Flip the last entry's signature in the site of `size` (< 256) entries, and sign the
    tree of the changed entries with the operator key in `home`."""
    bundle = site / "tile" / "entries" / "000.p" / str(size)
    entries = list(tiles.iter_bundle(bundle.read_bytes()))
    fields = parse_leaf(entries[-1])
    signature = str(fields["signature"])
    signature = ("1" if signature[0] == "0" else "0") + signature[1:]
    state = canonical({"body": fields["body"], "recorded": fields["recorded"],
                       "signature": signature}).encode()
    entries[-1] = leaf_bytes(str(fields["type"]), str(fields["id"]),
                             int(str(fields["version"])), state)
    hashes = [merkle.leaf_hash(e) for e in entries]
    bundle.write_bytes(tiles.bundle(entries))
    (site / "tile" / "0" / "000.p" / str(size)).write_bytes(b"".join(hashes))
    key = KeyStore(home).find_by_public_key(bytes.fromhex(operator_key))
    assert key is not None
    root = merkle.root(size, merkle.MemoryNodes(hashes).get)
    (site / "checkpoint").write_text(sign_checkpoint(
        Checkpoint(origin=origin, size=size, root_hash=root), key.private_key))
