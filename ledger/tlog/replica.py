"""A local replica of a published ledger: `tally clone` builds it, `tally monitor` updates it.

The replica is an ordinary ledger database whose events are the published entries,
rebuilt byte for byte (`checked_site.stored_event`), so every read command works on it
and its export equals the original's. Following a site:

1. the site's checkpoint must be signed by the operator key given (and the replica's);
2. the level-0 tiles from the replica's size on must extend the replica's own tree to
   the signed root, and agree with its last leaves (else a fork, named at its entry);
3. each bundle must hash to its tiles; its events are appended, one transaction per
   bundle, and the Merkle log takes them only through the tail audit (`ledger.verify.tail_audit`:
   the rules and signatures of `ledger.verify.replay`), the first that fails naming its entry
   (eight bundles a transaction);
4. the higher tiles must equal the replica's own nodes; the published checkpoints are
   stored once their roots match.

Each batch is committed before the next is fetched, so an interrupted clone resumes
where it stopped: step 2 checks the site still extends what was taken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from tally.ledger.application import Ledger
from tally.ledger.errors import InputError, SiteError, VerificationError
from tally.ledger.infra import replica_mark
from tally.ledger.infra.eventstore import StoredEvent
from tally.ledger.infra.merkle_log import _Nodes, checkpoints
from tally.ledger.infra.storage import reading, writing
from tally.ledger.integrity import merkle, strict_json, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, split_note, verify_checkpoint
from tally.ledger.integrity.envelope import decode_state, parse_leaf
from tally.ledger.integrity.tlog_policy import Policy
from tally.ledger.model.statements import LedgerCreated, parse_statement
from tally.ledger.orders import taken_down, withheld_bodies, withhold_bodies
from tally.ledger.progress import Progress
from tally.ledger.tlog import checked_site, documents
from tally.ledger.tlog.log_files import stored_hashes
from tally.ledger.tlog.source import SiteSource

BATCH = 2048  # events a transaction: whole bundles, committed before the next are fetched


@dataclass(frozen=True)
class Followed:
    """What following a site did: the replica's size before and after, the checkpoints,
    and the ledger followed."""

    previous_size: int
    size: int
    previous_checkpoint: str | None
    checkpoint: str
    origin: str
    operator_public_key: str


def follow(ledger: Ledger, source: SiteSource, operator_key: bytes,
           progress: Progress | None = None, policy: Policy | None = None, *,
           fetched: tuple[str, Checkpoint] | None = None) -> Followed:
    """Bring the replica `ledger` up to the site's checkpoint (`fetched`: the one a caller
    already fetched and verified, so a site is read once a run); SiteError if the site
    fails, VerificationError (nothing taken) if the checkpoint is short of `policy`'s quorum.
    The documents the new entries archive and the disclosures of their claims (format v2)
    are fetched, checked and stored first; what the site lacks must be what a signed order
    took down (`Replay.unresolved`), or the update is refused."""
    refuse_a_ledger_of_its_own(ledger)
    local = ledger.log.size()
    origin = None
    previous = None
    if local:
        info = ledger.info()
        if info.operator_public_key != operator_key.hex():
            raise SiteError("this replica's ledger has another operator key than the one given")
        origin = info.origin
        previous = ledger.log.checkpoint_note() if ledger.log.checkpoints() else None
    note, head = fetched or checked_site.fetch_checkpoint(source, operator_key, origin, policy)
    # entries a stopped update committed past the last checkpoint: what they miss is still
    # to be named by an order this run takes
    kept = ledger.log.checkpoints()
    resumed = ledger.log.position_of_leaf(kept[-1][0]) if kept else 1
    if resumed is not None and local:
        ledger.tail_audit.carry_pending(resumed)
    replica_mark.mark(ledger.engine, source.location)
    _same_size_same_root(ledger, note, head)
    if head.size < local:
        raise SiteError(f"the site's checkpoint is of size {head.size}, smaller than the "
                        f"{local} entries already taken: the log was rolled back",
                        new_checkpoint=note)

    def step(phase: str) -> Callable[[int, int], None] | None:
        return None if progress is None else (lambda done, total: progress(phase, done, total))

    listed = _listed_checkpoints(source, operator_key, head.origin, head.size)
    with checked_site.under(note):
        leaf_tiles = checked_site.fetch_leaf_tiles(source, local, head.size, step("fetching tiles"))
        with reading(ledger.engine) as conn:
            mine = stored_hashes(conn, 0, leaf_tiles.first, local - leaf_tiles.first)
            frontier = merkle.Frontier.of(local, _Nodes(conn).get)
        for offset, digest in enumerate(mine):
            if leaf_tiles.hashes[offset] != digest:
                _fork(ledger, source, leaf_tiles.first + offset, local, head.size, note)
        if not checked_site.check_root(frontier, leaf_tiles, head):
            _blame(ledger, source, leaf_tiles, local, note)
        pending: list[StoredEvent] = []
        for start, entries in checked_site.bundles(source, leaf_tiles, local,
                                                 step("fetching entries")):
            if start == 0:
                _check_genesis(entries[0], operator_key, head.origin)
            events = [checked_site.stored_event(entry, start + k)
                      for k, entry in enumerate(entries)]
            documents.fetch_documents(source, enumerate(entries, start), ledger.archive)
            ledger.disclosures.put(checked_site.fetch_disclosures(source, start // tiles.WIDTH,
                                                                events))
            pending += events
            if len(pending) >= BATCH:
                _append(ledger, pending, note)
                pending = []
        _append(ledger, pending, note)
        try:  # what the site lacks is what its orders took down, or the site is refused
            ledger.tail_audit.unresolved()
        except VerificationError as e:
            raise SiteError(f"entry {(e.position or 1) - 1} fails the audit: {e.message}",
                            entry=(e.position or 1) - 1, new_checkpoint=note) from None
        ledger.journal.after_write(settle=True, progress=progress)
        _check_higher_tiles(ledger, source, local, head.size)
        _store_checkpoints(ledger, operator_key, head.origin, note, listed)
    return Followed(local, head.size, previous, note, head.origin, operator_key.hex())


def refuse_a_ledger_of_its_own(ledger: Ledger) -> None:
    """A ledger with history of its own (events, and no replica's mark) never becomes a
    replica: marking it would refuse every later write to it."""
    if ledger.events.max_position() and replica_mark.source_of(ledger.engine) is None:
        raise InputError(f"{ledger.store.describe()} is a ledger with history of its own, "
                         "not a replica: clone or monitor into another --db (a replica "
                         "refuses every write)", field="db")


def _same_size_same_root(ledger: Ledger, note: str, head: Checkpoint) -> None:
    """Two checkpoints the operator signed for one size with different roots are a fork:
    the replica's stored one and the site's (both notes go into the evidence)."""
    for size, kept, _ in ledger.log.checkpoints():
        if size == head.size and Checkpoint.parse_body(split_note(kept)[0]).root_hash \
                != head.root_hash:
            raise SiteError(f"the site's checkpoint {size} has another root than the one "
                            "this replica kept for that size: the log was forked",
                            new_checkpoint=note, old_checkpoint=kept)


def _append(ledger: Ledger, events: list[StoredEvent], note: str) -> None:
    """One transaction; the tail audit (rules, signatures) runs before the log takes them,
    and re-reads the registry once a call: batches of several bundles keep that cheap."""
    if not events:
        return
    try:
        ledger.journal.append_stored(events, settle=False, checked=False)
    except VerificationError as e:
        entry = ledger.log.size()
        raise SiteError(f"entry {entry} fails the audit: {e.message}", entry=entry,
                        new_checkpoint=note) from None
    # the site's take-down orders, checked with the rest: what they name leaves here too
    commitments, documents = taken_down(
        (e.topic, decode_state(e.state).body) for e in events
        if e.topic in ("claim.redacted", "document.withheld"))
    ledger.disclosures.erase(commitments)
    for sha in documents:
        ledger.archive.erase(sha)
    for claim_id, leaves in withheld_bodies(decode_state(e.state).body for e in events
                                            if e.topic == "claim.redacted"):
        withhold_bodies(ledger.parts, claim_id, leaves)


def _check_genesis(entry: bytes, operator_key: bytes, origin: str) -> None:
    fields = parse_leaf(entry)
    genesis = parse_statement(str(fields["body"]), str(fields["type"]))
    if not isinstance(genesis, LedgerCreated) or genesis.origin != origin \
            or genesis.operator_public_key != operator_key.hex():
        raise SiteError("entry 0 is not the genesis of ledger "
                        f"{origin!r} with the operator key given", entry=0)


def first_difference(ledger: Ledger, source: SiteSource, size: int, upto: int) -> int | None:
    """The first leaf index below `upto` whose hash on the site (tree of `size`) differs
    from the replica's."""
    nodes = checked_site.tile_nodes(source, size)
    with reading(ledger.engine) as conn:
        for tile in tiles.tiles_at(upto, 0):
            mine = stored_hashes(conn, 0, tile.start, tile.width)
            theirs = nodes.tile(0, tile.number)
            for offset, digest in enumerate(mine):
                if theirs[offset] != digest:
                    return tile.start + offset
    return None


def _fork(ledger: Ledger, source: SiteSource, entry: int, local: int, size: int,
          note: str) -> None:
    proof = checked_site.consistency_evidence(source, local, size)
    raise SiteError(f"entry {entry} on the site differs from the replica's: the log was "
                    "forked or rewritten", entry=entry, new_checkpoint=note, proof=proof)


def _blame(ledger: Ledger, source: SiteSource, leaf_tiles: checked_site.LeafTiles,
           local: int, note: str) -> None:
    """The tiles do not reach the signed root: name the forked entry, else the new entry
    whose tile hash is wrong."""
    entry = first_difference(ledger, source, leaf_tiles.size, local) if local else None
    if entry is not None:
        _fork(ledger, source, entry, local, leaf_tiles.size, note)
    for _ in checked_site.bundles(source, leaf_tiles, local):
        pass  # raises at the first entry that does not hash to its tile
    raise SiteError("the site's tiles do not give its checkpoint's root: a tile was changed",
                    new_checkpoint=note,
                    proof=checked_site.consistency_evidence(source, local, leaf_tiles.size)
                    if local else None)


def _check_higher_tiles(ledger: Ledger, source: SiteSource, local: int, size: int) -> None:
    with reading(ledger.engine) as conn:
        for tile in tiles.new_tiles(local, size):
            if tile.level == 0:
                continue
            mine = b"".join(stored_hashes(conn, tiles.HEIGHT * tile.level, tile.start,
                                          tile.width))
            theirs = checked_site.tile_nodes(source, size).tile(tile.level, tile.number)
            if b"".join(theirs) != mine:
                span = tiles.WIDTH ** tile.level
                raise SiteError(f"{tile.path} differs from the hashes of its entries "
                                f"({tile.start * span}..): it was changed",
                                entry=tile.start * span)


def _listed_checkpoints(source: SiteSource, operator_key: bytes, origin: str,
                        size: int) -> list[str]:
    """The published checkpoints below the site's that log.json lists, fetched before any
    entry is taken: log.json is unsigned, so a listed checkpoint that is missing,
    unreadable or not signed by the operator is passed over. Every one that is signed is
    checked against the replica's tree (`_store_checkpoints`), those it holds already
    included: a signed checkpoint of a fork is evidence wherever it sits."""
    try:
        listed = strict_json.loads(source.get("log.json"), "log.json",
                                   VerificationError).get("checkpoints", [])
    except (VerificationError, AttributeError):
        return []
    notes = []
    for listed_size in listed if isinstance(listed, list) else []:
        if type(listed_size) is int and 0 < listed_size < size:
            try:
                text = source.text(f"checkpoints/{listed_size}")
                if verify_checkpoint(text, operator_key, origin).size == listed_size:
                    notes.append(text)
            except VerificationError:
                continue
    return notes


def _store_checkpoints(ledger: Ledger, operator_key: bytes, origin: str, note: str,
                       listed: list[str]) -> None:
    """Keep the site's checkpoint and the published ones (`_listed_checkpoints`) whose root
    the replica's tree has (the first that covers a claim is the one its proof names). A
    signed checkpoint whose root is not the replica's tree's at its size is a fork: both
    notes go into the evidence."""
    with writing(ledger.engine) as conn:
        have = {int(s): str(n) for s, n in conn.execute(
            select(checkpoints.c.size, checkpoints.c.note))}
        nodes = _Nodes(conn)
        for text in [note, *listed]:
            checkpoint = verify_checkpoint(text, operator_key, origin)
            if checkpoint.size > ledger.log.size(conn):
                continue
            if merkle.root(checkpoint.size, nodes.get) != checkpoint.root_hash:
                raise SiteError(f"the site's checkpoint {checkpoint.size} does not match its "
                                "entries: the operator signed two trees of that size",
                                new_checkpoint=text,
                                old_checkpoint=have.get(checkpoint.size, note))
            if checkpoint.size in have:
                continue
            conn.execute(checkpoints.insert().values(size=checkpoint.size,
                                                     root=checkpoint.root_hash, note=text,
                                                     signed_at=ledger.clock()))
            have[checkpoint.size] = text
