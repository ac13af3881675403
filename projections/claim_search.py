"""`tally claims`: the claims that match filters, a page at a time.

Figure (an id or a case's prefix), source, signer, `as_of` period and `known_at` are
SQL conditions on the projected history rows. The quote is not in the read model (it
lives in the signed body), so `text` is tested afterwards: the rows the SQL keeps are
read in chunks, in order, with their signed bodies (`rows.with_signed`), and only those
whose quote holds the text (case-insensitively) are counted and paged. Without `text`
the count and the page are SQL alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Connection, Select, func, select

from tally.ledger.errors import InputError
from tally.projections import tables as t
from tally.projections.cases import in_case
from tally.projections.models import ClaimOut
from tally.projections.outputs import claims_by_id
from tally.projections.queries import known_position, signer_names
from tally.projections.rows import Row, Signed, with_signed
from tally.projections.rules.periods import parse_period

CHUNK = 2000  # history rows read (with their bodies) at a time for a text filter
MAX_LIMIT = 10_000


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClaimFilters(_Out):
    """The filters of `tally claims`, as given (null: not filtered). Keys: `figure` (an id
    or a case's prefix), `source`, `signer` (a key id or a signer's name), `as_of`
    (FROM..TO), `known_at` (a position), `text`."""

    figure: str | None = None
    source: str | None = None
    signer: str | None = None
    as_of: str | None = None
    known_at: int | None = None
    text: str | None = None


class ClaimList(_Out):
    """`tally claims`. Keys: `filters` (ClaimFilters), `total` (claims that match, before
    paging), `offset`, `limit` (or null), `claims` (ClaimOuts of the page, by figure, then
    as_of, then position)."""

    filters: ClaimFilters
    total: int
    offset: int
    limit: int | None
    claims: list[ClaimOut]


def _signer_key(conn: Connection, signer: str) -> str:
    """A key id for a key id or a registered signer's name."""
    s = t.signers.c
    found = conn.execute(select(s.key_id).where((s.key_id == signer) | (s.name == signer))
                         .order_by(s.position)).scalars().first()
    if found is None:
        raise InputError(f"no signer {signer!r}: give a key id or a name from "
                         "'tally signers list'", field="signer")
    return str(found)


def _matching(conn: Connection, f: ClaimFilters, known: int | None) -> Select[Any]:
    """The positions of the claims the SQL conditions keep, in the answer's order."""
    h = t.history.c
    query = select(h.position).where(h.kind == "claim")
    if f.figure is not None:
        query = query.where(in_case(h.figure, f.figure))
    if f.source is not None:
        query = query.where(h.source == f.source)
    if f.signer is not None:
        query = query.where(h.signer == _signer_key(conn, f.signer))
    if known is not None:
        query = query.where(h.position <= known)
    if f.as_of is not None:  # the widened days hold the written ones: a first, coarse cut
        period = parse_period(f.as_of)
        query = query.where(h.as_of_earliest <= period.last, h.as_of_latest >= period.first)
    return query.order_by(h.figure, h.as_of_earliest, h.as_of_latest, h.position)


def _rows(conn: Connection, positions: list[int]) -> list[Row]:
    found = {int(r["position"]): r for r in conn.execute(
        select(t.history).where(t.history.c.position.in_(positions))).mappings()}
    return [found[p] for p in positions]


def _kept(conn: Connection, query: Select[Any], f: ClaimFilters, signed: Signed
          ) -> Iterator[int]:
    """Positions of the claims the SQL keeps whose as_of as written meets the period and
    whose signed quote holds the text, read a chunk at a time."""
    period = None if f.as_of is None else parse_period(f.as_of)
    wanted = None if f.text is None else f.text.casefold()
    positions = [int(p) for p in conn.execute(query).scalars()]
    for first in range(0, len(positions), CHUNK):
        rows: Sequence[Row] = _rows(conn, positions[first : first + CHUNK])
        if wanted is not None:
            rows = with_signed(rows, signed)
        for row in rows:
            if period is not None and not period.holds(row["as_of"]):
                continue
            if wanted is not None and wanted not in (row["quote"] or "").casefold():
                continue
            yield int(row["position"])


def search(conn: Connection, signed: Signed, filters: ClaimFilters,
           known_at: int | dt.datetime | None = None, limit: int | None = None,
           offset: int = 0) -> ClaimList:
    """The claims matching `filters` (`known_at` a position or a time), `limit` of them
    from `offset`, each with its corrections and retraction as known."""
    if offset < 0 or (limit is not None and not 1 <= limit <= MAX_LIMIT):
        raise InputError(f"the limit is a number from 1 to {MAX_LIMIT}, the offset 0 or more",
                         field="limit")
    if filters.text is not None and not filters.text.strip():
        raise InputError("the text to look for in quotes is empty", field="text")
    known = known_position(conn, known_at)
    filters = filters.model_copy(update={"known_at": known})
    query = _matching(conn, filters, known)
    if filters.as_of is None and filters.text is None:
        total = conn.execute(select(func.count()).select_from(query.subquery())).scalar_one()
        page = [int(p) for p in conn.execute(query.offset(offset).limit(limit)).scalars()]
    else:
        kept = list(_kept(conn, query, filters, signed))
        total = len(kept)
        page = kept[offset : None if limit is None else offset + limit]
    return ClaimList(filters=filters, total=int(total), offset=offset, limit=limit,
                     claims=_claims(conn, page, known, signed))


def _claims(conn: Connection, positions: list[int], known: int | None, signed: Signed
            ) -> list[ClaimOut]:
    """The claims recorded at these positions, with their follow-ups as known, in order."""
    if not positions:
        return []
    ids = [r["claim_id"] for r in _rows(conn, positions)]
    h = t.history.c
    query = select(t.history).where(h.claim_id.in_(ids))
    if known is not None:
        query = query.where(h.position <= known)
    by_id = claims_by_id(with_signed(conn.execute(query).mappings(), signed),
                         signer_names(conn))
    return [by_id[i] for i in ids]
