"""Instants as Tally shows them: ISO 8601 in UTC with `Z`, the one form every answer uses
(human output, `--json`, CSV). The stored events keep their own form (`+00:00`, see
`integrity.envelope.format_time`): that is part of the signed leaf, not an answer."""

from __future__ import annotations

import datetime as dt


def utc(moment: dt.datetime) -> dt.datetime:
    """`moment` in UTC; a naive one (SQLite hands them back) was stored as UTC."""
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def iso_utc(moment: dt.datetime, timespec: str = "auto") -> str:
    """`2025-03-01T12:04:00Z`: with microseconds when there are any, as pydantic writes JSON
    (`timespec` "seconds" for a table)."""
    return utc(moment).isoformat(timespec=timespec).removesuffix("+00:00") + "Z"
