"""`tally publish DIR`: the ledger as a static site, written incrementally and atomically.

The site is the log as C2SP tlog-tiles (`ledger.integrity.tiles`, `ledger.tlog.log_files`), the
signed checkpoints, the archived documents (`projections.publish.site.documents`), `log.json`,
and the pages that page renderers make
(`projections.publish.page_renderer`: the JSON pages and the HTML pages), each figure's
answers and each claim's provenance read once, in batches, for all of them. Only files
whose bytes changed are written.

Order and atomicity: each file is written under a temporary name and renamed;
tiles, bundles and pages come first and `checkpoint` last, so a reader never sees
a checkpoint whose tiles are missing. Tiles and bundles are immutable: a site
that holds different bytes at one of their paths, or a checkpoint this ledger does
not extend, is refused, never overwritten. Nothing is published beyond a signed
checkpoint, and a checkpoint is signed only over events that pass the audit
(`cosigned_checkpoint.sign`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from tally.ledger.bootstrap import Collaborators
from tally.ledger.cosigned_checkpoint import sign_cosigned
from tally.ledger.errors import AuditError, StorageError, VerificationError
from tally.ledger.infra.storage import in_chunks, reading
from tally.ledger.integrity import disclosure, tiles
from tally.ledger.integrity.checkpoints import Checkpoint, verifier_key, verify_checkpoint
from tally.ledger.integrity.envelope import FORMAT_VERSION, parse_leaf, parse_stub_entry
from tally.ledger.integrity.signing import KeyPair
from tally.ledger.progress import Progress
from tally.ledger.tlog import log_files
from tally.ledger.verify.audit import verify
from tally.ledger.verify.trusted_leaves import TrustedLeaves
from tally.projections import tables as t
from tally.projections.interop.site_exports import credential_path
from tally.projections.interop.site_interop import SiteInterop
from tally.projections.publish.files import SiteFiles
from tally.projections.publish.json_pages import JsonPages
from tally.projections.publish.page_renderer import PageRenderer, render
from tally.projections.publish.sealed_readmodel import Seal, SealedReadModels
from tally.projections.publish.site import HtmlPages
from tally.projections.publish.site.documents import document_files
from tally.projections.publish.site.paths import claim_page
from tally.projections.readmodel import ReadModel, scratch_engine

SITE_FORMAT = 1
MAX_CHECKPOINT_BYTES = 1 << 20  # a note with a few witnesses is a few hundred bytes


DEFAULT_RENDERERS: tuple[PageRenderer, ...] = (JsonPages, HtmlPages)


class LogInfo(BaseModel):
    """`log.json`. Keys: `format` (site format), `tally_format` (the leaf format version),
    `origin`, `ledger_id`, `operator_vkey` (C2SP note verifier key), `operator_public_key`
    (hex, what `--operator-key` takes), `checkpoint`, `tiles` (paths in the site),
    `checkpoints` (the sizes of every published checkpoint, each at `checkpoints/<size>`),
    `base_url` (where the site is served, `tally publish --base-url`: its permalinks and
    exports are absolute under it; null when never given)."""

    model_config = ConfigDict(frozen=True)
    format: int = SITE_FORMAT
    tally_format: int = FORMAT_VERSION
    origin: str
    ledger_id: str
    operator_vkey: str
    operator_public_key: str
    checkpoint: str = "checkpoint"
    tiles: str = "tile/"
    checkpoints: list[int]  # the sizes of the signed checkpoints at checkpoints/<size>
    base_url: str | None = None


@dataclass
class Published:
    """What one publish did."""

    size: int
    previous_size: int
    written: int = 0
    unchanged: int = 0
    bytes_written: int = 0
    read_model: str = ""  # where the pages' read model came from
    removed: int = 0  # files an order took down since the last publish


def checkpoint_path(size: int) -> str:
    return f"checkpoints/{size}"


class _Site:
    def __init__(self, directory: Path, result: Published, progress: Progress | None) -> None:
        self.directory = directory
        self.files = SiteFiles(directory)
        self.result = result
        self.progress = progress

    def write(self, relative: str, data: bytes, *, immutable: bool = False) -> None:
        old = self.files.read(relative, len(data))  # enough to compare: never a planted giant
        if old == data:
            self.result.unchanged += 1
            return
        if old is not None and immutable:
            raise VerificationError(f"{relative} in {self.directory} holds other bytes than "
                                    "this ledger's: the site was published from another log")
        self.files.write(relative, data)
        self.result.written += 1
        self.result.bytes_written += len(data)
        if self.progress and self.result.written % 100 == 0:
            self.progress("writing", self.result.written, 0)

    def partial_widths(self, partial_path: str) -> list[int]:
        """The widths of the partial tiles or bundles held beside `partial_path` (one of
        them: `…/<N>.p/<W>`)."""
        folder = self.directory / partial_path.rsplit("/", 1)[0]
        if not folder.is_dir():
            return []
        return sorted(int(f.name) for f in folder.iterdir() if f.name.isdigit())

    def remove(self, relative: str) -> None:
        """Take a file off the site, if it is there (what a take-down order erased)."""
        if self.files.remove(relative):
            self.result.removed += 1

    def previous(self, operator_key: bytes, origin: str) -> Checkpoint | None:
        data = self.files.read("checkpoint", MAX_CHECKPOINT_BYTES)
        if data is None:
            return None
        try:
            return verify_checkpoint(data.decode("utf-8"), operator_key, origin)
        except (VerificationError, UnicodeDecodeError):
            raise VerificationError(f"{self.directory / 'checkpoint'} is not a checkpoint of "
                                    "this ledger: publish into an empty directory or this "
                                    "ledger's own site") from None


def _signed_head(parts: Collaborators, operator: KeyPair | None) -> str:
    """The latest stored checkpoint, signed now (which audits the events since the one
    before) and cosigned by the witnesses configured, if any, if events came after it;
    nothing past a checkpoint is ever published."""
    stored = parts.log.checkpoints()
    last = stored[-1][0] if stored else 0
    if parts.log.size() > last:
        if operator is None:
            raise StorageError(f"{parts.log.size() - last} events came after the last "
                               "checkpoint: sign one with 'tally checkpoint', or publish where "
                               "the operator key is at hand")
        sign_cosigned(parts, operator)
    return parts.log.checkpoint_note()


def publish(parts: Collaborators, model: ReadModel, directory: Path,
            operator: KeyPair | None = None,
            renderers: Sequence[PageRenderer] = DEFAULT_RENDERERS,
            progress: Progress | None = None, keep: Path | None = None,
            base_url: str | None = None) -> Published:
    """Write or update the site of the ledger whose collaborators are `parts` (`bootstrap`)
    in `directory` up to its latest checkpoint, its pages from a read model `model` makes
    apart (`ReadModel.apart`). With `keep` (the key home), the read model the pages come
    from is kept there, sealed with the operator key, for the next publish
    (`sealed_readmodel`). The archived documents are published, but for those an order
    withheld (taken off the site). `base_url` (else the one the site's `log.json` keeps)
    makes permalinks and the exports absolute (`site_interop`)."""
    info = parts.info()
    key = bytes.fromhex(info.operator_public_key)
    note = _signed_head(parts, operator)
    head = verify_checkpoint(note, key, info.origin)
    # Nothing reaches the site that the audit has not passed, and nothing an insider
    # changed after it: every event read from here on (projected, shown, bundled) must
    # hash to its leaf in the signed tree (`trusted_leaves`), and the pages come from a read
    # model built from those events, never from the live tables.
    trusted = TrustedLeaves.load(parts.engine, head)
    sealed = None if keep is None else SealedReadModels(keep, info.ledger_id, key)
    with tempfile.TemporaryDirectory(prefix="tally-publish-") as scratch:
        path = Path(scratch) / "readmodel.db"
        seal, why = (None, "none is kept") if sealed is None else sealed.take(trusted, path)
        if seal is None:
            _audit_all(parts, key)
        else:
            _audit_after(parts, seal, trusted)
        engine = scratch_engine(path)
        try:
            fresh = model.apart(engine, trusted.check)
            fresh.catch_up(stop=trusted.last_position, progress=progress)
            trusted.check_reached(fresh.position())
            result = _publish(parts, fresh, directory, note, head, trusted, renderers,
                              progress, SiteInterop(base_url, operator))
        finally:
            engine.dispose()
        result.read_model = (f"kept at checkpoint {seal.size}" if seal is not None
                             else f"rebuilt from every event ({why})")
        if sealed is not None and operator is not None:
            try:
                sealed.keep(path, trusted, sorted(trusted.registry), operator)
            except OSError as e:  # the site is published; the next publish rebuilds
                result.read_model += f"; not kept: {sealed.directory}: {e.strerror}"
    return result


def _audit_all(parts: Collaborators, key: bytes) -> None:
    """The full audit: every rule, signature, leaf and checkpoint from position 1 (an
    insider may have edited an event a checkpoint covers)."""
    try:
        verify(parts, operator_key=key)
    except AuditError as e:
        where = f" at position {e.position}" if e.position is not None else ""
        raise VerificationError(f"the ledger fails the audit{where}: {e.message}; "
                                "nothing was published (run 'tally verify')") from None


def _audit_after(parts: Collaborators, seal: Seal, trusted: TrustedLeaves) -> None:
    """The audit of the events after the kept read model's tree: rules and signatures, from
    the rules' state its sealed registry events and its witness events give (each checked
    against its leaf), and each event against its leaf. The events before were audited
    when it was built."""
    tail = parts.new_tail_audit()
    state = tail.sealed_state(seal.registry, trusted, trusted.position_of(seal.size - 1))
    if seal.size < trusted.size:
        tail.recheck_from(trusted.position_of(seal.size), trusted.by_position,
                          lambda _: None, state)


def _publish(parts: Collaborators, model: ReadModel, directory: Path, note: str,
             head: Checkpoint, trusted: TrustedLeaves, renderers: Sequence[PageRenderer],
             progress: Progress | None, interop: SiteInterop) -> Published:
    info = parts.info()
    key = bytes.fromhex(info.operator_public_key)
    directory.mkdir(parents=True, exist_ok=True)
    result = Published(size=head.size, previous_size=0)
    site = _Site(directory, result, progress)
    before = site.previous(key, info.origin)
    if before is not None:
        if before.size > head.size or trusted.root(before.size) != before.root_hash:
            raise VerificationError(
                f"the site in {directory} is at checkpoint {before.size}, which this ledger "
                "does not extend: it was published from another log")
        result.previous_size = before.size
    stored = parts.log.checkpoints()
    for path, data in log_files.log_files(parts, result.previous_size, head,
                                        [size for size, _, _ in stored]):
        site.write(path, data, immutable=True)
    for size, stored_note, _ in stored:
        if size <= head.size:
            # not immutable: a witness may cosign it later (the same note, more lines)
            site.write(checkpoint_path(size), stored_note.encode("utf-8"))
    for document in document_files(parts, trusted, info.origin):
        if document.data is None:
            site.remove(document.path)
        else:
            site.write(document.path, document.data, immutable=document.immutable)
    figures: set[str] | None = None
    claims: set[str] | None = None
    changed = log_files.changes(parts, result.previous_size, head.size, trusted.leaf)
    _disclosures(parts, site, result.previous_size, head.size, changed.taken_down)
    for claim in changed.withheld:  # its pages of earlier publishes go
        for path in (claim_page(claim), claim_page(claim, ".json"),
                     claim_page(claim, ".tlog-proof"), credential_path(claim)):
            site.remove(path)
    if before is not None and not changed.everything:
        figures = _with_totals(model, changed.figures | _figures_of(model, changed.claims))
        claims = changed.claims
    base_url = interop.base_url_of(site.files)
    if interop.moved:  # every permalink changes
        figures = claims = None
    made = [interop.renderer(renderer, model, note, base_url) for renderer in renderers]
    for path, data in render(made, model, figures, claims):
        site.write(path, data)
    for path, data in interop.files(model, base_url, claims):
        site.write(path, data)
    log_info = LogInfo(origin=info.origin, ledger_id=info.ledger_id,
                       operator_vkey=verifier_key(info.origin, key),
                       operator_public_key=info.operator_public_key,
                       checkpoints=[size for size, _, _ in stored if size <= head.size],
                       base_url=base_url)
    site.write("log.json", (log_info.model_dump_json(indent=2) + "\n").encode("utf-8"))
    site.write("checkpoint", note.encode("utf-8"))
    return result


def _disclosures(parts: Collaborators, site: _Site, old_size: int, size: int,
                 taken_down: bool) -> None:
    """Format v2: `disclosures/<N>`, the disclosures of the claims under level-0 tile N, for
    every tile with entries new to the site; with `taken_down` (an order among them), every
    bundle of the site again, so that what an order erased leaves it."""
    first = 0 if taken_down else old_size // tiles.WIDTH
    with reading(parts.engine) as conn:
        for number in range(first, -(-size // tiles.WIDTH)):
            start = number * tiles.WIDTH
            bundled = log_files.entries(parts, conn, start, min(tiles.WIDTH, size - start))
            if taken_down:
                _entry_bundles(site, number, bundled)
            wanted = [c for leaf in bundled for c in _commitments(leaf)]
            held = parts.disclosures.get(wanted, conn)
            path = tiles.disclosures_path(number)
            if not held:
                site.remove(path)
                continue
            for commitment, text in held.items():
                if disclosure.commitment_of(text) != commitment:
                    raise VerificationError(f"the stored disclosure {commitment} does not "
                                            "match its commitment: run 'tally verify'")
            site.write(path, disclosure.bundle_bytes(held.values()))


def _entry_bundles(site: _Site, number: int, bundled: list[bytes]) -> None:
    """Write the entry bundles of level-0 tile `number` the site holds (full, and the
    partial ones of earlier checkpoints) again from the events as they are now: an order
    that withheld a claim's body since leaves its stub entries there, and no body. (The
    tiles, which hold leaf hashes, never change.)"""
    widths = [tiles.WIDTH] if len(bundled) == tiles.WIDTH else []
    widths += site.partial_widths(tiles.entries_path(number, 1))
    for width in widths:
        path = tiles.entries_path(number, width)
        if width <= len(bundled) and site.files.read(path, 1) is not None:
            site.write(path, tiles.bundle(bundled[:width]))


def _commitments(leaf: bytes) -> list[str]:
    if parse_stub_entry(leaf) is not None:  # withheld whole: nothing of it is published
        return []
    fields = parse_leaf(leaf)
    if fields["type"] != "claim.recorded":
        return []
    return list(disclosure.commitments(json.loads(str(fields["body"]))).values())


def _figures_of(model: ReadModel, claims: set[str]) -> set[str]:
    """The figures of these claims, as the read model the pages come from has them."""
    found: set[str] = set()
    with reading(model.engine) as conn:
        for chunk in in_chunks(sorted(claims)):
            found.update(conn.execute(select(t.history.c.figure).distinct()
                                      .where(t.history.c.claim_id.in_(chunk))).scalars())
    return found


def _with_totals(model: ReadModel, figures: set[str]) -> set[str]:
    """The figures, and every figure whose parts (at any depth) include one: a part's new
    claim changes its total's sum check."""
    totals: dict[str, list[str]] = {}
    for figure in model.figures().figures:
        for part in figure.parts:
            totals.setdefault(part, []).append(figure.id)
    found, todo = set(figures), list(figures)
    while todo:
        for total in totals.get(todo.pop(), []):
            if total not in found:
                found.add(total)
                todo.append(total)
    return found

