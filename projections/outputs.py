"""Building the JSON answer models from table rows and rule results."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache

from tally.projections.models import (
    AmendmentOut,
    AsOfOut,
    ClaimOut,
    DiscrepancyOut,
    HistoryEntryOut,
    IntervalOut,
    MemberOut,
    SignerOut,
    SourceOut,
    ValueOut,
)
from tally.projections.rows import Row, interval_columns, interval_of, str_list, utc
from tally.projections.rules.figure import Flag


def value_out(row: Row) -> ValueOut | None:
    """The value columns of a history or current row; None when it has none."""
    if row["value"] is None:
        return None
    return _value_out(row["value"], row["value_kind"], row["low"], row["high"],
                      row["low_open"], row["high_open"])


# The answer models are frozen, so one instance serves every row with the same columns:
# values and dates repeat a lot, and a figure's pages build each one several times.
@lru_cache(maxsize=8192)
def _value_out(written: str, kind: str, low: str | None, high: str | None,
               low_open: bool | None, high_open: bool | None) -> ValueOut:
    interval = interval_of({"low": low, "high": high, "low_open": low_open,
                            "high_open": high_open})
    columns = interval_columns(interval)
    return ValueOut(written=written, kind=kind,
                    interval=None if interval is None else IntervalOut(**columns))


def as_of_out(row: Row) -> AsOfOut:
    return _as_of_out(row["as_of"], row["as_of_earliest"], row["as_of_latest"])


@lru_cache(maxsize=8192)
def _as_of_out(text: str, earliest: dt.date, latest: dt.date) -> AsOfOut:
    return AsOfOut(text=text, earliest=earliest, latest=latest)


def entry_out(row: Row) -> HistoryEntryOut:
    return HistoryEntryOut(
        kind=row["kind"], id=row["event_id"] or row["claim_id"], claim_id=row["claim_id"],
        value=value_out(row),
        as_of=as_of_out(row), source=row["source"], via=str_list(row["via"]), url=row["url"],
        published=row["published"], quote=row["quote"],
        document_sha256=row["document_sha256"], reason=row["reason"], signer=row["signer"],
        signature=row["signature"], position=int(row["position"]),
        recorded_at=utc(row["recorded_at"]),
    )


def amendment_out(row: Row, names: Mapping[str, str]) -> AmendmentOut:
    """A correction or retraction history row (with its signed `reason`), in brief."""
    return AmendmentOut(kind=row["kind"], id=row["event_id"], value=value_out(row),
                        reason=row["reason"] or "", signer=row["signer"],
                        signer_name=names.get(row["signer"], ""),
                        position=int(row["position"]), recorded_at=utc(row["recorded_at"]))


def claim_out(rows: Sequence[Row], names: Mapping[str, str] | None = None) -> ClaimOut:
    """A claim from its history rows (the claim first, then its follow-ups by position);
    `names` maps signers' key ids to their names, for its amendments."""
    names = names or {}
    ordered = sorted(rows, key=lambda r: int(r["position"]))
    claim = ordered[0]
    assert claim["kind"] == "claim"
    corrections = [r for r in ordered if r["kind"] == "correction"]
    retraction = next((r for r in ordered if r["kind"] == "retraction"), None)
    reported = value_out(claim)
    latest = value_out(corrections[-1]) if corrections else reported
    assert reported is not None and latest is not None
    return ClaimOut(
        claim_id=claim["claim_id"], figure=claim["figure"], value=latest, reported=reported,
        corrections=[r["event_id"] for r in corrections],
        retracted=any(r["kind"] == "retraction" for r in ordered), as_of=as_of_out(claim),
        source=claim["source"], via=str_list(claim["via"]), url=claim["url"],
        published=claim["published"], quote=claim["quote"],
        document_sha256=claim["document_sha256"], signer=claim["signer"],
        position=int(claim["position"]), recorded_at=utc(claim["recorded_at"]),
        correction=amendment_out(corrections[-1], names) if corrections else None,
        retraction=None if retraction is None else amendment_out(retraction, names),
    )


def claims_by_id(rows: Iterable[Row], names: Mapping[str, str] | None = None
                 ) -> dict[str, ClaimOut]:
    grouped: dict[str, list[Row]] = {}
    for row in rows:
        grouped.setdefault(row["claim_id"], []).append(row)
    return {k: claim_out(v, names) for k, v in grouped.items()
            if any(r["kind"] == "claim" for r in v)}


def flag_out(flag: Flag) -> DiscrepancyOut:
    members = [MemberOut(claim=m.claim_id, value=m.value, source=m.source,
                         figure=m.figure) for m in flag.members]
    return DiscrepancyOut(id=flag.id, kind=flag.kind, figure=flag.figure,
                          claims=list(flag.claim_ids), detail=flag.detail, members=members)


def flag_row_out(row: Row) -> DiscrepancyOut:
    members = [MemberOut(**m) for m in json.loads(row["members"])]
    return DiscrepancyOut(id=row["id"], kind=row["kind"], figure=row["figure"],
                          claims=str_list(row["claim_ids"]), detail=row["detail"],
                          members=members)


def sorted_flags(flags: Iterable[DiscrepancyOut]) -> list[DiscrepancyOut]:
    """One order for flags, whichever path found them: figure, kind, then claim ids."""
    return sorted(flags, key=lambda f: (f.figure, f.kind, f.claims))


def source_out(source_id: str, sources: Mapping[str, Row]) -> SourceOut:
    row = sources.get(source_id)
    if row is None:
        return SourceOut(id=source_id, name="", kind="", key_id=None)
    return SourceOut(id=row["source_id"], name=row["name"], kind=row["kind"],
                     key_id=row["key_id"])


def signer_out(key_id: str, signer: Row | None) -> SignerOut:
    if signer is None:
        return SignerOut(key_id=key_id, name="", role="", revoked=False)
    revoked_at = signer["revoked_position"]
    return SignerOut(key_id=key_id, name=signer["name"], role=signer["role"],
                     revoked=revoked_at is not None,
                     revoked_at=None if revoked_at is None else int(revoked_at),
                     revoked_reason=signer["revoked_reason"])
