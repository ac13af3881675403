"""Turning one batch of stored events into read-model rows, inside the caller's transaction.

New rows are buffered and written with one executemany per table; look-ups
(figures, signers, sources, claims) see both the database and this batch.
The figures the batch touched are listed as dirty: their `current` rows and
discrepancy flags are recomputed once the catch-up has projected every batch
(`views.settle`), not after each one.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, Table, bindparam, select, update

from tally.ledger.errors import VerificationError
from tally.ledger.infra.bulk_insert import insert_rows
from tally.ledger.infra.eventstore import Notification
from tally.ledger.infra.storage import in_chunks
from tally.ledger.integrity.envelope import Withheld
from tally.ledger.model.events import Case, Claim, Figure, Redaction, Signer, Source
from tally.projections import tables as t
from tally.projections.event_facts import (
    ASSUMED_FIGURE,
    ClaimFacts,
    Columns,
    Facts,
    FollowUpFacts,
    claim_facts,
    follow_up_facts,
    value_columns,
)
from tally.projections.recompute import mark_dirty
from tally.projections.rows import Row, dumps, str_list

Decode = Callable[[Notification], Any]  # the ledger's `events.decode`
VALUE_DEFINITION = ("kind", "tolerance", "states")  # what `_value_columns` reads of a figure


class Projector:
    """Projects the events of one batch; `flush()` writes rows and recomputes figures."""

    def __init__(self, conn: Connection, decode: Decode,
                 figures: dict[str, dict[str, Any]] | None = None) -> None:
        self.conn = conn
        self.decode = decode
        # figure rows never change once defined: the read model keeps the committed ones
        self.figures = {} if figures is None else figures
        # provenance rows whose signature is checked in bulk at flush: (row, key, body, sig)
        self._unchecked: list[tuple[dict[str, Any], str, str, str]] = []
        self.inserts: dict[str, list[dict[str, Any]]] = {}
        self.touched: set[str] = set()
        self._cache: dict[tuple[str, str], dict[str, Any] | None] = {}
        self._new: set[tuple[str, str]] = set()  # rows inserted by this batch
        self._dirty_provenance: dict[str, dict[str, Any]] = {}
        self._dirty_signers: dict[str, dict[str, Any]] = {}

    # -- look-ups over the database and this batch -----------------------------

    def _row(self, table: Table, column: str, key: str) -> dict[str, Any] | None:
        cache_key = (table.name, key)
        if cache_key not in self._cache:
            query = select(table).where(table.c[column] == key)
            if table is t.history:  # keyed by claim id: the claim's own row
                query = query.where(t.history.c.kind == "claim")
            found = self.conn.execute(query).mappings().first()
            self._cache[cache_key] = None if found is None else dict(found)
        return self._cache[cache_key]

    def _add(self, table: Table, key: str, row: dict[str, Any]) -> None:
        self.inserts.setdefault(table.name, []).append(row)
        self._cache[(table.name, key)] = row
        self._new.add((table.name, key))

    def figure(self, figure_id: str) -> Row:
        known = self.figures.get(figure_id)
        if known is not None:
            return known
        found = self._row(t.figures, "figure_id", figure_id)
        if found is None:
            raise VerificationError(f"a claim names figure {figure_id!r}, which is not defined")
        return found

    def signer(self, key_id: str) -> dict[str, Any] | None:
        return self._row(t.signers, "key_id", key_id)

    def claim(self, claim_id: str) -> Row:
        found = self._row(t.history, "claim_id", claim_id)
        if found is None:
            raise VerificationError(
                f"a follow-up refers to claim {claim_id}, which is not recorded")
        return found

    def provenance(self, claim_id: str) -> dict[str, Any]:
        found = self._row(t.provenance, "claim_id", claim_id)
        assert found is not None  # every recorded claim has one
        if (t.provenance.name, claim_id) not in self._new:
            self._dirty_provenance[claim_id] = found
        return found

    # -- events ------------------------------------------------------------------

    def apply(self, notifications: Sequence[Notification],
              facts: Sequence[Facts | None] | None = None) -> None:
        """Project the events; `facts`, when given, are those `event_facts` worked out for
        them in a worker (None for an event to decode here)."""
        known = [None] * len(notifications) if facts is None else facts
        events: list[tuple[int, str, Any]] = [
            (n.id, n.originator_id.hex, f) if f is not None and type(n.originator_id) is UUID
            else (n.id, "", self._decode(n)) for n, f in zip(notifications, known, strict=True)]
        self._prefetch_claims(
            {claim_id if isinstance(e, FollowUpFacts) else e.originator_id.hex
             for _, claim_id, e in events
             if isinstance(e, FollowUpFacts | Claim.Corrected | Claim.Retracted)})
        for position, claim_id, event in events:
            if event is None:  # withheld: no row, not even its recording time
                continue
            if isinstance(event, ClaimFacts | FollowUpFacts):
                self._add(t.events, str(position),
                          {"position": position, "recorded_at": event.recorded})
                if isinstance(event, ClaimFacts):
                    self._claim(position, claim_id, event)
                else:
                    self._followup(position, claim_id, event)
                continue
            recorded = event.timestamp
            self._add(t.events, str(position), {"position": position, "recorded_at": recorded})
            self._apply(position, recorded, event)

    def _decode(self, n: Notification) -> Any:
        try:
            return self.decode(n)
        except Withheld:  # its rows went with the order that withheld it
            return None
        except Exception as e:  # a tampered event: say where, let verify say the rest
            raise VerificationError(
                f"the event at position {n.id} cannot be decoded ({type(e).__name__}): "
                "run 'tally verify'", position=n.id) from None

    def _prefetch_claims(self, claim_ids: set[str]) -> None:
        """Read the rows the batch's follow-ups update with one query per table, not one
        per follow-up (claims recorded in this batch are found in it later)."""
        wanted = sorted(c for c in claim_ids if (t.history.name, c) not in self._cache)
        for table, where in ((t.history, t.history.c.kind == "claim"), (t.provenance, None)):
            column = table.c.claim_id
            for chunk in in_chunks(wanted):
                query = select(table).where(column.in_(chunk))
                if where is not None:
                    query = query.where(where)
                found = {r["claim_id"]: dict(r) for r in self.conn.execute(query).mappings()}
                for claim_id in chunk:
                    self._cache[(table.name, claim_id)] = found.get(claim_id)

    def _apply(self, position: int, recorded: dt.datetime, e: Any) -> None:
        # every column comes from the signed body (checked before the event was logged)
        body = json.loads(e.body)
        if isinstance(e, Signer.Added):
            self._add(t.signers, body["key_id"], {
                "key_id": body["key_id"], "name": body["name"], "public_key": body["public_key"],
                "role": body["role"], "position": position, "revoked_position": None,
                "revoked_reason": None})
        elif isinstance(e, Signer.Revoked):
            signer = self.signer(body["key_id"])
            if signer is not None:
                signer.update(revoked_position=position, revoked_reason=body["reason"])
                if (t.signers.name, signer["key_id"]) not in self._new:
                    self._dirty_signers[signer["key_id"]] = signer
        elif isinstance(e, Case.Defined):
            self._add(t.cases, body["id"], {
                "case_id": body["id"], "name": body["name"], "description": body["description"],
                "place": body["place"], "period": body["period"], "position": position})
        elif isinstance(e, Source.Registered):
            self._add(t.sources, body["id"], {
                "source_id": body["id"], "name": body["name"], "kind": body["kind"],
                "key_id": body["key_id"], "position": position})
        elif isinstance(e, Figure.Defined):
            figure_id = body["id"]
            self._add(t.figures, figure_id, {
                "figure_id": figure_id, "kind": body["kind"], "unit": body["unit"],
                "cumulative": body["cumulative"], "integer": body.get("integer", False),
                "name": body.get("name"), "description": body.get("description"),
                "parts": dumps(list(body["parts"])),
                "tolerance": body["tolerance"], "states": dumps(list(body["states"])),
                "position": position})
            for part in dict.fromkeys(body["parts"]):
                self._add(t.parts, f"{part}\n{figure_id}", {"part": part, "total": figure_id})
            self.touched.add(figure_id)
        elif isinstance(e, Claim.Recorded):
            self._claim(position, e.originator_id.hex, claim_facts(recorded, body))
        elif isinstance(e, Claim.Corrected | Claim.Retracted):
            self._followup(position, e.originator_id.hex, follow_up_facts(
                recorded, e.body, body, isinstance(e, Claim.Corrected)))
        elif isinstance(e, Redaction.Ordered) and body["field"] == "body":
            self._withhold(body["claim"])

    def _withhold(self, claim_id: str) -> None:
        """An order took the claim's body down: its rows go, and its figure is recomputed
        without it (a rebuild never made them: the events are stubs by then)."""
        claim = self._row(t.history, "claim_id", claim_id)
        if claim is None:
            return
        self.touched.add(claim["figure"])
        h = t.history.c
        positions = [*self.conn.execute(select(h.position).where(h.claim_id == claim_id))
                     .scalars(), *(r["position"] for r in self.inserts.get(t.history.name, [])
                                   if r["claim_id"] == claim_id)]
        self.inserts[t.events.name] = [r for r in self.inserts.get(t.events.name, [])
                                       if r["position"] not in positions]
        self.conn.execute(t.events.delete().where(t.events.c.position.in_(positions)))
        for table in (t.history, t.provenance):
            pending = self.inserts.get(table.name, [])
            pending[:] = [r for r in pending if r["claim_id"] != claim_id]
            self.conn.execute(table.delete().where(table.c.claim_id == claim_id))
            self._cache[(table.name, claim_id)] = None
        self._dirty_provenance.pop(claim_id, None)

    def _value_columns(self, figure_id: str, written: str,
                       assumed: Columns | None = None) -> dict[str, Any]:
        """The value's columns under its figure; `assumed`, those a worker worked out for a
        quantity of the default tolerance, when the figure is one."""
        figure = self.figure(figure_id)
        kind, tolerance = str(figure["kind"]), str(figure["tolerance"])
        if assumed is not None and (kind, tolerance) == ASSUMED_FIGURE:
            return dict(assumed)
        return dict(value_columns(written, kind, tolerance, str(figure["states"])))

    def figure_rows(self) -> dict[str, dict[str, Any]]:
        """The figure rows this batch read or wrote (for the read model, once committed), as
        much of each as a value's columns need: the read model keeps one for every figure
        (50,000 at a million claims), and a whole row is about three times the size."""
        return {key: {c: sys.intern(str(row[c])) for c in VALUE_DEFINITION}
                for (table, key), row in self._cache.items()
                if table == t.figures.name and row is not None}

    def _claim(self, position: int, claim_id: str, c: ClaimFacts) -> None:
        row = {
            "position": position, "kind": "claim", "event_id": None, "claim_id": claim_id,
            "figure": c.figure, **self._value_columns(c.figure, c.value, c.columns),
            "as_of": c.as_of, "as_of_earliest": c.earliest, "as_of_latest": c.latest,
            "source": c.source, "via": c.via, "signer": c.signer, "recorded_at": c.recorded,
        }
        self._add(t.history, claim_id, row)
        source = self._row(t.sources, "source_id", c.source)
        self._add(t.provenance, claim_id, {
            "claim_id": claim_id,
            "first_party": source is not None and source["key_id"] == c.signer,
            "corrections": dumps([]), "retraction_id": None,
        })
        self.touched.add(c.figure)

    def _followup(self, position: int, claim_id: str, f: FollowUpFacts) -> None:
        claim = self.claim(claim_id)
        correcting = f.value is not None
        event_id = f.event_id
        value = (self._value_columns(claim["figure"], f.value, f.columns)
                 if f.value is not None
                 else {"value": None, "value_kind": None, "low": None, "high": None,
                       "low_open": None, "high_open": None})
        copied = {k: claim[k] for k in ("figure", "as_of", "as_of_earliest", "as_of_latest",
                                        "source", "via")}
        self._add(t.history, f"{claim_id}:{position}", {
            "position": position, "kind": "correction" if correcting else "retraction",
            "event_id": event_id, "claim_id": claim_id, **copied, **value,
            "signer": f.signer, "recorded_at": f.recorded,
        })
        prov = self.provenance(claim_id)
        if correcting:
            prov["corrections"] = dumps([*str_list(prov["corrections"]), event_id])
        else:
            prov["retraction_id"] = event_id
        self.touched.add(claim["figure"])

    # -- writing -------------------------------------------------------------------

    def flush(self) -> None:
        """Write the buffered rows and updates, and list the touched figures as dirty."""
        for table in (t.events, t.signers, t.sources, t.cases, t.figures, t.parts, t.history,
                      t.provenance):
            insert_rows(self.conn, table, self.inserts.get(table.name, []))
        _updates(self.conn, t.signers, t.signers.c.key_id, self._dirty_signers.items(),
                 ("revoked_position", "revoked_reason"))
        _updates(self.conn, t.provenance, t.provenance.c.claim_id, self._dirty_provenance.items(),
                 ("corrections", "retraction_id"))
        mark_dirty(self.conn, self.touched)


def _updates(conn: Connection, table: Table, key: Any, rows: Iterable[tuple[str, dict[str, Any]]],
             columns: tuple[str, ...]) -> None:
    """One executemany for every row's new `columns`, each row found by its `key`."""
    params = [{"_key": ident, **{c: row[c] for c in columns}} for ident, row in rows]
    if params:
        conn.execute(update(table).where(key == bindparam("_key")), params)

