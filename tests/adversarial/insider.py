"""The insider's tools: write access to the database, no key.

`full_ledger` builds a ledger holding every event type; `served` is everything
the read commands answer; `relog`, `drop_checkpoints_from` and `rebuild` are what
an insider does after editing a row to hide it from the Merkle log, the stored
checkpoints and the read model; `edit_row` and `insert_row` change the event
store by SQL, as anyone holding the database file can.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
from typing import Any

from factories import projected_in_workers
from sqlalchemy import text

from tally.ledger.application import Ledger
from tally.ledger.errors import VerificationError
from tally.ledger.evidence import documents
from tally.ledger.infra.merkle_log import (
    MerkleLog,
    checkpoints,
    leaf_bytes,
    leaves,
    nodes,
    registry_seals,
)
from tally.ledger.integrity.cosignature import Cosigner
from tally.ledger.integrity.signing import KeyPair, body_id, canonical, sign
from tally.ledger.model.inputs import (
    CaseRecord,
    CorrectionRecord,
    FigureRecord,
    RedactionRecord,
    ReportRecord,
    RetractionRecord,
    SourceRecord,
    WithholdingRecord,
)
from tally.projections.reader import Views, open_views
from tally.projections.readmodel import ReadModel

FIGURES = ["izium/bodies", "izium/children", "izium/exhumation"]
NOW = dt.datetime(2025, 12, 1, 12, 0, tzinfo=dt.UTC)


def full_ledger(db: str, operator: KeyPair, alice: KeyPair, bob: KeyPair,
                origin: str = "test.example/insider") -> list[str]:
    """A ledger with every event type (genesis, signers added and revoked, sources, a case,
    figures (one named), claims with quotes (format v2), witnesses added, moved and removed,
    a correction, a retraction, a redaction, a document archived and withheld) and two
    checkpoints; returns the claim ids."""
    ticks = iter(range(10_000))
    with Ledger.open(db, create=True, clock=lambda: NOW + dt.timedelta(seconds=next(ticks))
                     ) as ledger:
        views = ReadModel(ledger).attach()
        ledger.init(origin, operator)
        for key in (alice, bob):
            ledger.add_signer(key.name, key.public_key, operator)
        for sid, name in (("hromadske", "Hromadske"), ("suspilne", "Suspilne")):
            ledger.add_source(SourceRecord(id=sid, name=name, kind="media"), operator)
        ledger.define_case(CaseRecord(id="izium", name="Izium burial site",
                                      description="The mass burial site found in 2022.",
                                      place="Izium, Ukraine", period="2022-09-16/2025-11-24"),
                           alice)
        ledger.define_figure(FigureRecord(id="izium/children", unit="bodies",
                                          name="Children among the bodies"), alice)
        ledger.define_figure(FigureRecord(id="izium/bodies", unit="bodies", cumulative=True,
                                          parts=["izium/children"]), operator)
        ledger.define_figure(FigureRecord(id="izium/exhumation", kind="status", unit="status",
                                          states=["started", "completed"]), operator)
        claims = [ledger.report(ReportRecord(figure=f, value=v, as_of=a, source=s,
                                             quote=f"{v} as reported"), key).id
                  for f, v, a, s, key in (
                      ("izium/bodies", "447", "2022-09-23", "hromadske", alice),
                      ("izium/bodies", "451", "2022-09-23", "suspilne", bob),
                      ("izium/children", "5", "2022-09-23", "hromadske", alice),
                      ("izium/exhumation", "completed", "2022-09-23", "suspilne", bob))]
        for name, key in (("wa", alice), ("wb", bob)):  # keys as cosigners: never asked here
            ledger.add_witness(name, f"http://127.0.0.1:9/{name}",
                               Cosigner(f"{name}.example", key.public_key).vkey, operator)
        ledger.checkpoint(operator)
        # format v2's witness changes, of witnesses added in the checkpointed tree
        ledger.update_witness("wa", "http://127.0.0.1:10/wa", operator)
        ledger.remove_witness("wb", "shut down", operator)
        ledger.correct(CorrectionRecord(claim=claims[0], value="449", reason="recount"), alice)
        ledger.retract(RetractionRecord(claim=claims[2], reason="misread"), operator)
        ledger.revoke_signer(bob.key_id, operator, "key rotated")
        ledger.report(ReportRecord(figure="izium/bodies", value=">=440", as_of="2022-09",
                                   source="hromadske", via=["suspilne"]), alice)
        # format v2's take-down orders: a quote redacted, a document withheld
        ledger.redact(RedactionRecord(claim=claims[1], field="quote",
                                      reason="names a witness"), operator)
        withheld = documents.archive(ledger, b"A notice to come down.\n", name="notice.txt",
                                     key=operator).id
        ledger.withhold(WithholdingRecord(sha256=withheld, reason="take-down notice"),
                        operator)
        ledger.checkpoint(operator)
        views.catch_up()
    return claims


def _outcome(call: Any, *args: Any, worded: bool = False) -> Any:
    try:
        out = call(*args)
    except Exception as e:  # what a read command would print instead
        return ("refused", type(e).__name__, str(e)) if worded else ("refused", type(e).__name__)
    return json.loads(out.model_dump_json()) if hasattr(out, "model_dump_json") else out


def _read(views: Views, claim_ids: list[str], worded: bool = False) -> dict[str, Any]:
    """What show, history, provenance, discrepancies and the lists answer from `views`."""
    answers: dict[str, Any] = {
        "figures": _outcome(views.figures, worded=worded),
        "sources": _outcome(views.sources, worded=worded),
        "discrepancies": _outcome(views.discrepancies, worded=worded),
    }
    for figure in FIGURES:
        answers[f"show {figure}"] = _outcome(views.show, figure, worded=worded)
        answers[f"history {figure}"] = _outcome(views.history, figure, worded=worded)
    for claim in claim_ids:
        answers[f"provenance {claim}"] = _outcome(views.provenance, claim, worded=worded)
    return answers


def served(db: str, claim_ids: list[str]) -> dict[str, Any]:
    """Everything show, history, provenance, discrepancies and the lists answer. When
    nothing lags, the tables read without the event store (what a read command does
    then, `open_views`) must answer exactly as the caught-up read model does, refusals
    word for word."""
    with Ledger.open(db) as ledger:
        views = ReadModel(ledger)
        answers = {**_read(views, claim_ids),
                   "signers": _outcome(lambda: [vars(s) for s in ledger.directory.signers()])}
        said = _read(views, claim_ids, worded=True)
    lean = open_views(db)
    if lean is not None:
        try:
            assert _read(lean, claim_ids, worded=True) == said
        finally:
            lean.engine.dispose()
    return answers


def rows(db: str) -> list[tuple[int, str, int, str, bytes]]:
    with Ledger.open(db) as ledger:
        position = "rowid" if ledger.store.is_sqlite else "notification_id"
        with ledger.engine.connect() as conn:
            return [(int(p), str(i), int(v), str(t), bytes(s)) for p, i, v, t, s in conn.execute(
                text(f"SELECT {position}, originator_id, originator_version, topic, state "
                     f"FROM {ledger.store.events_table} ORDER BY {position}"))]


def edit_row(db: str, position: int, **changes: Any) -> None:
    """Set columns (originator_id, originator_version, topic, state) of the event at
    `position` by SQL."""
    with Ledger.open(db) as ledger:
        where = "rowid" if ledger.store.is_sqlite else "notification_id"
        sets = ", ".join(f"{column} = :{column}" for column in changes)
        with ledger.engine.begin() as conn:
            conn.execute(text(f"UPDATE {ledger.store.events_table} SET {sets} "
                              f"WHERE {where} = :position"), {**changes, "position": position})


def insert_row(db: str, ident: Any, version: int, topic: str, state: bytes) -> None:
    """Append a row to the event store by SQL, as an insider would (it lands last)."""
    with Ledger.open(db) as ledger, ledger.engine.begin() as conn:
        conn.execute(text(f"INSERT INTO {ledger.store.events_table} (originator_id, "
                          "originator_version, topic, state) VALUES (:i, :v, :t, :s)"),
                     {"i": ident, "v": version, "t": topic, "s": state})


def delete_row(db: str, position: int) -> None:
    """Delete the event at `position` by SQL."""
    with Ledger.open(db) as ledger, ledger.engine.begin() as conn:
        where = "rowid" if ledger.store.is_sqlite else "notification_id"
        conn.execute(text(f"DELETE FROM {ledger.store.events_table} WHERE {where} = :p"),
                     {"p": position})


def leaked_claim(db: str, key: KeyPair) -> None:
    """A claim signed with `key` (a leaked one), made from the first claim's body and
    appended by SQL (it lands last)."""
    claim = next(r for r in rows(db) if r[3] == "claim.recorded")
    stored = json.loads(claim[4])
    body = json.loads(stored["body"]) | {"signer": key.key_id, "value": "999",
                                         "as_of": "2023-03", "quote": "999 leaked"}
    body_text = canonical(body)
    insert_row(db, body_id(body_text), 1, "claim.recorded",
               state_of(body_text, sign(key.private_key, body_text), stored["recorded"]))


def state_of(body: dict[str, Any] | str, signature: str, recorded: str) -> bytes:
    text_body = body if isinstance(body, str) else canonical(body)
    return canonical({"body": text_body, "recorded": recorded,
                      "signature": signature}).encode("utf-8")


def relog(db: str) -> None:
    """Throw the Merkle log away and build it again from the events as they now are, with
    the log's own code and no check: the insider's best cover."""
    with Ledger.open(db) as ledger:
        with ledger.engine.begin() as conn:
            conn.execute(leaves.delete())
            conn.execute(nodes.delete())
        events = ledger.events.notifications(1, 10_000)
        loggable = []
        for n in events:  # up to an event no leaf can be made of
            try:
                leaf_bytes(n)
            except VerificationError:
                break
            loggable.append(n)
        if loggable:
            with ledger.engine.begin() as conn:
                MerkleLog(ledger.engine, ledger.events)._append(conn, 0, loggable)


def drop_checkpoints_from(db: str, position: int) -> None:
    """Delete every stored checkpoint that covers `position` (its size is at least it), and
    its registry seal (a seal left behind would name the rewrite)."""
    with Ledger.open(db) as ledger, ledger.engine.begin() as conn:
        conn.execute(checkpoints.delete().where(checkpoints.c.size >= position))
        conn.execute(registry_seals.delete().where(registry_seals.c.size >= position))


def rebuild(db: str, in_workers: bool = False) -> None:
    """Rebuild the read model, in this process or with the workers' help."""
    with Ledger.open(db) as ledger, contextlib.suppress(Exception), \
            projected_in_workers() if in_workers else contextlib.nullcontext():
        ReadModel(ledger).rebuild()  # one that stops at a bad event serves the rest
