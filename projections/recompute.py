"""Loading figures' claims from history rows and recomputing their derived views.

`current` and `discrepancies` are functions of the history rows. A batch of
events marks the figures it touched as dirty (`mark_dirty`); `settle` then
recomputes the dirty figures, and the totals they are parts of, a chunk at a
time. A catch-up of n events over figures of k claims each therefore evaluates
each touched figure once, O(n log k) in all, instead of once per batch. The same
loaders, filtered by position, answer `known_at` queries.

Cost of one figure: the rules, O(k log k) for its k claims (contradictions and
regressions are groups found by sweeps; see `groups` and `regressions`), plus the
sum mismatches, and one indexed range scan of its history (and its parts').
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from sqlalchemy import Connection, delete, select

from tally.ledger.infra.bulk_insert import insert_rows
from tally.ledger.infra.storage import in_chunks
from tally.ledger.infra.worker_pool import run_async
from tally.projections import tables as t
from tally.projections.rows import dumps, entry_of, figure_def, interval_columns
from tally.projections.rules.claims import ClaimState, Entry, FigureDef, fold
from tally.projections.rules.figure import Current, Flag, Member, current, figure_flags


def _chunks(items: Collection[str]) -> Iterator[list[str]]:
    return in_chunks(sorted(items))


def definitions(conn: Connection, known_at: int | None = None) -> dict[str, FigureDef]:
    """Figure definitions, as known at position `known_at` (all of them when None)."""
    query = select(t.figures)
    if known_at is not None:
        query = query.where(t.figures.c.position <= known_at)
    return {row["figure_id"]: figure_def(row) for row in conn.execute(query).mappings()}


def definitions_for(conn: Connection, figure_ids: Collection[str],
                    known_at: int | None = None) -> dict[str, FigureDef]:
    """The definitions of `figure_ids` and of every total that has one of them as a part:
    what showing or recomputing a few figures needs, without reading every definition (a
    large ledger defines tens of thousands, and `definitions` costs milliseconds each 1,000).
    """
    f, p = t.figures.c, t.parts.c
    found: dict[str, FigureDef] = {}
    for chunk in _chunks(figure_ids):
        totals = select(p.total).where(p.part.in_(chunk))
        query = select(t.figures).where(f.figure_id.in_(chunk) | f.figure_id.in_(totals))
        if known_at is not None:
            query = query.where(f.position <= known_at)
        found.update((r["figure_id"], figure_def(r)) for r in conn.execute(query).mappings())
    return found


def entries(conn: Connection, figure_ids: Collection[str],
            known_at: int | None = None) -> dict[str, list[Entry]]:
    """History entries of some figures, grouped by figure, up to position `known_at`."""
    found: dict[str, list[Entry]] = defaultdict(list)
    for chunk in _chunks(figure_ids):
        query = select(t.history).where(t.history.c.figure.in_(chunk))
        if known_at is not None:
            query = query.where(t.history.c.position <= known_at)
        for row in conn.execute(query).mappings():
            found[row["figure"]].append(entry_of(row))
    return found


def claims(conn: Connection, figure_ids: Collection[str],
           known_at: int | None = None) -> dict[str, list[ClaimState]]:
    return {f: fold(es) for f, es in entries(conn, figure_ids, known_at).items()}


def affected(defs: Mapping[str, FigureDef], touched: Collection[str]) -> set[str]:
    """The touched figures and every total that has one of them as a part."""
    hit = set(touched)
    return {f for f in defs if f in hit or hit.intersection(defs[f].parts)}


def with_parts(defs: Mapping[str, FigureDef], figure_ids: Collection[str]) -> set[str]:
    return set(figure_ids).union(*(defs[f].parts for f in figure_ids if f in defs))


def evaluate(
    defs: Mapping[str, FigureDef], found: Mapping[str, Sequence[ClaimState]], figure_id: str
) -> tuple[list[Flag], Current]:
    """The flags attributed to one figure and its value in force, by the pure rules."""
    definition = defs[figure_id]
    own = found.get(figure_id, [])
    flags = figure_flags(definition, own, {p: found.get(p, []) for p in definition.parts})
    return flags, current(own, flags)


def mark_dirty(conn: Connection, touched: Collection[str]) -> None:
    """List these figures for `settle` (those listed already stay listed once)."""
    insert_rows(conn, t.dirty, [{"figure": f} for f in sorted(touched)], unless_present=True)


def dirty(conn: Connection, figure_ids: Collection[str]) -> bool:
    """Whether any of these figures lags its history (a catch-up is settling it)."""
    d = t.dirty.c.figure
    return conn.execute(select(d).where(d.in_(sorted(figure_ids))).limit(1)).first() is not None


def settle(conn: Connection, limit: int, in_workers: bool = False) -> int:
    """Recompute up to `limit` dirty figures (and the totals they are parts of), then unlist
    them; returns how many were settled (0 when none was dirty). `in_workers`: the rules run
    in the worker processes (`evaluate_in_worker`) while this one reads the next figures."""
    d = t.dirty.c.figure
    touched = list(conn.execute(select(d).order_by(d).limit(limit)).scalars())
    if touched:
        recompute(conn, touched, in_workers)
        for chunk in _chunks(touched):
            conn.execute(delete(t.dirty).where(d.in_(chunk)))
    return len(touched)


Rows = tuple[list[dict[str, object]], list[dict[str, object]]]  # current rows, flag rows


def recompute(conn: Connection, touched: Collection[str], in_workers: bool = False) -> None:
    """Replace the `current` rows and flags of the figures affected by `touched`."""
    defs = definitions_for(conn, touched)
    figs = affected(defs, touched)
    if in_workers:
        current_rows, flag_rows = _in_workers(conn, defs, sorted(figs))
    else:
        current_rows, flag_rows = evaluated(defs, claims(conn, with_parts(defs, figs)), figs)
    for chunk in _chunks(figs):
        conn.execute(delete(t.current).where(t.current.c.figure.in_(chunk)))
        conn.execute(delete(t.discrepancies).where(t.discrepancies.c.figure.in_(chunk)))
    insert_rows(conn, t.current, current_rows)
    insert_rows(conn, t.discrepancies, flag_rows)


def evaluated(defs: Mapping[str, FigureDef], found: Mapping[str, Sequence[ClaimState]],
              figs: Collection[str]) -> Rows:
    """The `current` row and the flag rows of each of `figs`, from their claims (and their
    parts')."""
    current_rows: list[dict[str, object]] = []
    flag_rows: list[dict[str, object]] = []
    for figure_id in sorted(figs):
        flags, now = evaluate(defs, found, figure_id)
        flag_rows += [{"id": f.id, "kind": f.kind, "figure": f.figure,
                       "claim_ids": dumps(list(f.claim_ids)), "detail": f.detail,
                       "members": dumps([member_json(m) for m in f.members])} for f in flags]
        current_rows.append(current_row(figure_id, now, found.get(figure_id, [])))
    return current_rows, flag_rows


# The history columns `entry_of` reads, sent to the workers as plain tuples.
_ENTRY = tuple(t.history.c[name] for name in (
    "kind", "claim_id", "figure", "position", "value", "value_kind", "low", "high",
    "low_open", "high_open", "as_of", "as_of_earliest", "as_of_latest", "source"))
WORKER_FIGURES = 250  # figures a worker job evaluates
JOBS_AHEAD = 3  # jobs read and sent before the oldest is waited for


def _in_workers(conn: Connection, defs: Mapping[str, FigureDef], figs: Sequence[str]) -> Rows:
    """`evaluated`, a job of WORKER_FIGURES figures at a time: this process reads each job's
    history rows while the worker processes evaluate the jobs before, and evaluates every
    third job itself (three processes share the two cores). At most JOBS_AHEAD jobs wait at
    a time: each holds its rows until it is answered."""
    waiting: deque[Callable[[], Rows]] = deque()
    current_rows: list[dict[str, object]] = []
    flag_rows: list[dict[str, object]] = []

    def collect() -> None:
        current, flags = waiting.popleft()()
        current_rows.extend(current)
        flag_rows.extend(flags)

    for number, start in enumerate(range(0, len(figs), WORKER_FIGURES)):
        job = figs[start:start + WORKER_FIGURES]
        rows = []
        for chunk in _chunks(with_parts(defs, job)):
            rows += [tuple(r) for r in conn.execute(
                select(*_ENTRY).where(t.history.c.figure.in_(chunk)))]
        work = ({f: defs[f] for f in job}, rows)
        waiting.append(run_async(evaluate_in_worker, work, in_place=number % 3 == 2))
        if len(waiting) > JOBS_AHEAD:
            collect()
    while waiting:
        collect()
    return current_rows, flag_rows


def evaluate_in_worker(job: tuple[dict[str, FigureDef], list[tuple[object, ...]]]) -> Rows:
    """A worker job: `evaluated` for the figures of `defs`, from their history rows."""
    defs, rows = job
    names = [c.name for c in _ENTRY]
    found: dict[str, list[Entry]] = defaultdict(list)
    for row in rows:
        entry = entry_of(dict(zip(names, row, strict=True)))
        found[entry.figure].append(entry)
    return evaluated(defs, {f: fold(es) for f, es in found.items()}, defs)


def member_json(m: Member) -> dict[str, str]:
    return {"claim": m.claim_id, "value": m.value, "source": m.source, "figure": m.figure}


def current_row(figure_id: str, now: Current, own: Sequence[ClaimState]) -> dict[str, object]:
    c = now.claim
    return {
        "figure": figure_id,
        "claim_id": None if c is None else c.claim_id,
        "value": None if c is None else c.written,
        "value_kind": None if c is None else c.value_kind,
        **interval_columns(None if c is None else c.interval),
        "as_of": None if c is None else c.as_of,
        "position": None if c is None else c.position,
        "competing": dumps(list(now.competing)),
        "disputed": now.disputed,
        "active_claims": sum(1 for x in own if x.active),
    }
